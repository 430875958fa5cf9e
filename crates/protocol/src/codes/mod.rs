//! The request and response code tables.
//!
//! Each table is declared once (name = value) and yields constants, a `(code, name)` slice
//! and a `name(code)` lookup used by logs, metrics labels and CLI help.

/// Declares a code table: one `pub const` per entry, `TABLE`, and `name()`.
macro_rules! code_table {
    ($( $name:ident = $value:expr ),* $(,)?) => {
        $( pub const $name: i32 = $value; )*

        /// Every `(code, name)` pair of this table.
        pub const TABLE: &[(i32, &str)] = &[ $( ($value, stringify!($name)) ),* ];

        /// The RocketMQ name of `code`, if it is in the table.
        pub fn name(code: i32) -> Option<&'static str> {
            #[allow(unreachable_patterns)]
            match code {
                $( $value => Some(stringify!($name)), )*
                _ => None,
            }
        }

        /// The code called `name` (exact RocketMQ constant name).
        pub fn by_name(name: &str) -> Option<i32> {
            TABLE.iter().find(|(_, n)| *n == name).map(|(c, _)| *c)
        }
    };
}

pub mod request;
pub mod response;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn well_known_codes() {
        assert_eq!(request::SEND_MESSAGE_V2, 310);
        assert_eq!(request::name(105), Some("GET_ROUTEINFO_BY_TOPIC"));
        assert_eq!(request::by_name("PULL_MESSAGE"), Some(11));
        assert_eq!(request::SEARCH_OFFSET_BY_TIMESTAMP, 29);
        assert_eq!(request::GET_MAX_OFFSET, 30);
        assert_eq!(request::GET_MIN_OFFSET, 31);
        assert_eq!(response::REQUEST_CODE_NOT_SUPPORTED, 3);
        assert_eq!(response::name(17), Some("TOPIC_NOT_EXIST"));
        assert_eq!(response::GO_AWAY, 1500);
    }

    #[test]
    fn tables_have_unique_codes() {
        for table in [request::TABLE, response::TABLE] {
            let mut codes: Vec<i32> = table.iter().map(|(c, _)| *c).collect();
            codes.sort();
            let before = codes.len();
            codes.dedup();
            assert_eq!(before, codes.len());
        }
    }
}
