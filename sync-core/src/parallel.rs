//! Spreading CPU work over the machine's cores with scoped threads: parsing a large
//! request's changes, merging its documents.

/// Cores available, read once: `available_parallelism` reads cgroup files on every call,
/// which showed up in profiles of single-household syncs.
pub fn cores() -> usize {
    static CORES: std::sync::OnceLock<usize> = std::sync::OnceLock::new();
    *CORES.get_or_init(|| std::thread::available_parallelism().map_or(1, |n| n.get()))
}

/// Applies `f` to every item, the items split in order over `threads` scoped threads (with
/// one, on this thread). The results keep the items' order; the items of a thread that
/// panicked get `None`.
pub fn map_in_order<T, R>(
    items: &mut [T],
    threads: usize,
    f: impl Fn(&mut T) -> R + Sync,
) -> Vec<Option<R>>
where
    T: Send,
    R: Send,
{
    if threads <= 1 || items.len() < 2 {
        return items.iter_mut().map(|item| Some(f(item))).collect();
    }
    let f = &f;
    let chunk = items.len().div_ceil(threads);
    std::thread::scope(|scope| {
        let handles: Vec<_> = items
            .chunks_mut(chunk)
            .map(|part| {
                let len = part.len();
                (
                    len,
                    scope.spawn(move || part.iter_mut().map(f).collect::<Vec<_>>()),
                )
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|(len, handle)| match handle.join() {
                Ok(results) => results.into_iter().map(Some).collect::<Vec<_>>(),
                Err(_) => (0..len).map(|_| None).collect(),
            })
            .collect()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn results_keep_the_order_of_the_items_on_any_number_of_threads() {
        for threads in [1, 2, 3, 8] {
            let mut items: Vec<u32> = (0..100).collect();
            let doubled = map_in_order(&mut items, threads, |n| *n * 2);
            let expected: Vec<Option<u32>> = (0..100).map(|n| Some(n * 2)).collect();
            assert_eq!(doubled, expected, "{threads} threads");
        }
    }

    #[test]
    fn the_items_of_a_thread_that_panicked_come_back_empty() {
        let mut items: Vec<u32> = (0..10).collect();
        let results = map_in_order(&mut items, 2, |n| {
            assert!(*n != 7, "item 7 fails");
            *n
        });
        let expected: Vec<Option<u32>> = vec![
            Some(0),
            Some(1),
            Some(2),
            Some(3),
            Some(4),
            None,
            None,
            None,
            None,
            None,
        ];
        assert_eq!(results, expected);
    }
}
