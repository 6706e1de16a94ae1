//! Personal names. Uyghur, Mongol and Hui names written in Chinese characters carry a middle
//! dot (买买提·吐尔逊) and run long; typing variants of the dot are normalised to U+00B7.

/// Characters typed in place of the middle dot U+00B7.
const DOT_VARIANTS: [char; 6] = [
    '\u{2022}', '\u{30FB}', '\u{FF0E}', '\u{2027}', '\u{FF65}', '\u{2219}',
];

/// Trims, folds inner whitespace around dots and replaces dot look-alikes (and a full stop
/// between Chinese characters) with U+00B7.
pub fn normalize_name(name: &str) -> String {
    let chars: Vec<char> = name.trim().chars().collect();
    let replaced: String = chars
        .iter()
        .enumerate()
        .map(|(i, &c)| {
            // An ASCII full stop between two Chinese characters (艾力.买买提) is the dot
            // typed on a keyboard without it; in Latin-script names it stays.
            let between_wide = c == '.'
                && i > 0
                && chars.get(i + 1).is_some_and(|n| !n.is_ascii())
                && !chars[i - 1].is_ascii();
            if DOT_VARIANTS.contains(&c) || between_wide {
                '·'
            } else {
                c
            }
        })
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
        assert_eq!(normalize_name("艾力.买买提"), "艾力·买买提");
        assert_eq!(normalize_name("J. Smith"), "J. Smith");
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
