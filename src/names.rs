//! Values the public API spells by name (fits, kernels, gravities, blend modes, policies). Each is one list here:
//! the enum, its `ALL` and `NAMES`, `name()`, `parse()` (with the message naming the
//! valid values) and its reading from a recipe step come from it, and the binding hands `NAMES` to JavaScript, which checks
//! arguments against them, so a name is written once.

/// `named! { /// doc  pub enum Fit "fit" { /// doc  Inside = "inside", ... } }`
macro_rules! named {
    ($(#[$meta:meta])* pub enum $ty:ident $what:literal { $($(#[$vmeta:meta])* $variant:ident = $name:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        pub enum $ty {
            $($(#[$vmeta])* $variant),+
        }

        impl $ty {
            pub const ALL: &'static [$ty] = &[$($ty::$variant),+];
            pub const NAMES: &'static [&'static str] = &[$($name),+];

            pub fn name(self) -> &'static str {
                match self {
                    $($ty::$variant => $name),+
                }
            }

            pub fn parse(s: &str) -> $crate::error::Result<$ty> {
                Self::ALL.iter().copied().find(|v| v.name() == s).ok_or_else(|| {
                    $crate::error::Error::InvalidArgument(format!("unknown {} '{s}'; use one of {}", $what, Self::NAMES.join(", ")))
                })
            }
        }

        /// Read from a recipe step by name.
        impl<'de> serde::Deserialize<'de> for $ty {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> std::result::Result<$ty, D::Error> {
                let name = <std::borrow::Cow<'de, str> as serde::Deserialize>::deserialize(d)?;
                $ty::parse(&name).map_err(serde::de::Error::custom)
            }
        }
    };
}

pub(crate) use named;

#[cfg(test)]
mod tests {
    named! {
        /// A test list.
        pub enum Colour "colour" { Red = "red", Green = "green" }
    }

    #[test]
    fn one_list_gives_names_parsing_and_the_message() {
        assert_eq!(Colour::NAMES, ["red", "green"]);
        assert_eq!(Colour::parse("green").unwrap(), Colour::Green);
        assert_eq!(Colour::Red.name(), "red");
        let err = Colour::parse("blue").unwrap_err();
        assert_eq!(err.to_string(), "unknown colour 'blue'; use one of red, green");
    }
}
