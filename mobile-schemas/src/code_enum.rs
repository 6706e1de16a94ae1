//! The `code_enum!` macro: enumerations with a stable English code (the wire and storage
//! form) and a Chinese label (what users see).

/// Declares an enumeration whose serialised form is its stable code.
///
/// Every variant gets a code (`"UNSTABLE_LIFTED"`) and a Chinese label (`"脱贫不稳定户"`).
/// The codes are part of the protocol and the storage format: never rename one.
macro_rules! code_enum {
    (
        $(#[$meta:meta])*
        $vis:vis enum $name:ident {
            $( $(#[$vmeta:meta])* $variant:ident = ($code:literal, $label:literal) ),+ $(,)?
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, ::serde::Serialize, ::serde::Deserialize, ::schemars::JsonSchema)]
        $vis enum $name {
            $( $(#[$vmeta])* #[serde(rename = $code)] #[doc = $label] $variant ),+
        }

        impl $name {
            /// Every variant, in declaration order.
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            /// The stable English code.
            pub const fn code(self) -> &'static str {
                match self { $($name::$variant => $code),+ }
            }

            /// The Chinese label shown to users.
            pub const fn label_zh(self) -> &'static str {
                match self { $($name::$variant => $label),+ }
            }

            /// Parses a code; `None` when it is not one of this enumeration's codes.
            pub fn from_code(code: &str) -> Option<Self> {
                match code { $($code => Some($name::$variant),)+ _ => None }
            }
        }

        impl ::std::fmt::Display for $name {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.write_str(self.code())
            }
        }

        impl ::std::str::FromStr for $name {
            type Err = $crate::UnknownCode;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                Self::from_code(s).ok_or_else(|| $crate::UnknownCode {
                    enumeration: stringify!($name),
                    code: s.to_owned(),
                })
            }
        }

        impl $crate::CodeEnum for $name {
            const NAME: &'static str = stringify!($name);
            fn all() -> &'static [Self] { Self::ALL }
            fn code(self) -> &'static str { $name::code(self) }
            fn label_zh(self) -> &'static str { $name::label_zh(self) }
        }
    };
}

pub(crate) use code_enum;

/// A value that is not one of an enumeration's codes.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{code}` is not a code of {enumeration}")]
pub struct UnknownCode {
    /// The enumeration's type name.
    pub enumeration: &'static str,
    /// The code that was given.
    pub code: String,
}

/// What every code enumeration offers, for generic code (exports, label tables).
pub trait CodeEnum: Copy + 'static {
    /// The enumeration's type name.
    const NAME: &'static str;
    /// Every variant, in declaration order.
    fn all() -> &'static [Self];
    /// The stable English code.
    fn code(self) -> &'static str;
    /// The Chinese label.
    fn label_zh(self) -> &'static str;
}
