//! Personal names. Uyghur, Mongol and Hui names written in Chinese characters carry a middle
//! dot (买买提·吐尔逊) and run long; typing variants of the dot are normalised to U+00B7.

/// Characters typed in place of the middle dot U+00B7.
const DOT_VARIANTS: [char; 6] = [
    '\u{2022}', '\u{30FB}', '\u{FF0E}', '\u{2027}', '\u{FF65}', '\u{2219}',
];

/// Trims, folds inner whitespace around dots and replaces dot look-alikes with U+00B7.
pub fn normalize_name(name: &str) -> String {
    let replaced: String = name
        .trim()
        .chars()
        .map(|c| if DOT_VARIANTS.contains(&c) { '·' } else { c })
        .collect();
    let mut out = String::with_capacity(replaced.len());
    for part in replaced.split('·') {
        if !out.is_empty() {
            out.push('·');
        }
        out.push_str(part.trim());
    }
    out
}

/// Whether `name` is already in normal form.
pub fn is_normalized(name: &str) -> bool {
    normalize_name(name) == name
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dot_variants_become_the_middle_dot() {
        assert_eq!(normalize_name("买买提•吐尔逊"), "买买提·吐尔逊");
        assert_eq!(
            normalize_name(" 巴音・那木拉．道尔吉 "),
            "巴音·那木拉·道尔吉"
        );
        assert_eq!(normalize_name("买买提 · 吐尔逊"), "买买提·吐尔逊");
    }

    #[test]
    fn long_names_and_plain_names_are_kept() {
        let long = "阿卜杜热合曼·买买提明·艾力·吐尔逊";
        assert_eq!(normalize_name(long), long);
        assert!(is_normalized("王芳"));
        assert!(!is_normalized("买买提•吐尔逊"));
    }
}
