//! Lists that come a page at a time: how many items a page holds.

use crate::error::ApiError;

/// Items per page unless asked otherwise, and at most.
#[derive(Debug, Clone, Copy)]
pub struct PageSize {
    /// When the request does not say.
    pub default: u64,
    /// The most a request may ask for.
    pub max: u64,
}

/// The common page size of the API's paged lists: 1,000 unless asked, at most 5,000.
pub const LIST_PAGE: PageSize = PageSize {
    default: 1000,
    max: 5000,
};

impl PageSize {
    /// The page size a request asked for (`limit`), or `limit-invalid` outside 1 to `max`.
    pub fn limit(self, asked: Option<u64>) -> Result<u64, ApiError> {
        let limit = asked.unwrap_or(self.default);
        if (1..=self.max).contains(&limit) {
            Ok(limit)
        } else {
            Err(ApiError::BadRequest(
                "limit-invalid",
                format!("limit must be 1 to {}", self.max),
            ))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::LIST_PAGE;

    #[test]
    fn a_page_holds_one_to_the_most_items() {
        assert_eq!(LIST_PAGE.limit(None).ok(), Some(1000));
        assert_eq!(LIST_PAGE.limit(Some(1)).ok(), Some(1));
        assert_eq!(LIST_PAGE.limit(Some(5000)).ok(), Some(5000));
        for bad in [0, 5001, u64::MAX] {
            let refused = LIST_PAGE
                .limit(Some(bad))
                .err()
                .map(|e| e.code().to_owned());
            assert_eq!(refused.as_deref(), Some("limit-invalid"), "{bad}");
        }
    }
}
