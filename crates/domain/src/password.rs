//! The password policy (等保 2.0 level 3): at least 10 characters, three of the four character
//! classes, not the username. Reuse of the last five is checked by the caller against their
//! hashes; this module only names the rule and its message.

use crate::FieldError;

pub const MIN_LENGTH: usize = 10;
/// How many earlier passwords a new one may not repeat.
pub const HISTORY: usize = 5;

/// Checks a new password for `username`; the error names the field `password`.
pub fn check(password: &str, username: &str) -> Result<(), FieldError> {
    let weak = |message: String| Err(FieldError::new("password", "weak_password", message));
    if password.chars().count() < MIN_LENGTH {
        return weak(format!("密码至少 {MIN_LENGTH} 位"));
    }
    let classes = [
        password.chars().any(|c| c.is_ascii_lowercase()),
        password.chars().any(|c| c.is_ascii_uppercase()),
        password.chars().any(|c| c.is_ascii_digit()),
        password.chars().any(|c| !c.is_ascii_alphanumeric()),
    ];
    if classes.iter().filter(|c| **c).count() < 3 {
        return weak("密码须包含小写字母、大写字母、数字、符号中的至少三类".into());
    }
    let user = username.trim().to_lowercase();
    if !user.is_empty() && password.to_lowercase().contains(&user) {
        return weak("密码不能包含用户名".into());
    }
    Ok(())
}

pub fn reused() -> FieldError {
    FieldError::new(
        "password",
        "reused_password",
        format!("新密码不能与最近 {HISTORY} 次使用过的密码相同"),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn the_policy_names_what_is_missing() {
        assert!(check("Xinfang#2026", "wang").is_ok());
        assert!(
            check("short1A!", "wang")
                .unwrap_err()
                .message
                .contains("10")
        );
        assert!(
            check("alllowercase1", "wang")
                .unwrap_err()
                .message
                .contains("三类")
        );
        assert!(
            check("Wang.Li.2026", "wang.li")
                .unwrap_err()
                .message
                .contains("用户名")
        );
        assert!(
            check("WANGli_2026", "wangli").is_err(),
            "case does not hide the username"
        );
        assert!(check("12345678", "director").is_err());
    }

    proptest! {
        #[test]
        fn anything_shorter_than_ten_is_refused(p in ".{0,9}") {
            prop_assert!(check(&p, "u").is_err());
        }

        #[test]
        fn a_long_password_of_three_classes_passes(
            lower in "[a-z]{4}", upper in "[A-Z]{3}", digits in "[0-9]{3}"
        ) {
            let p = format!("{lower}{upper}{digits}");
            prop_assert!(check(&p, "zz_nobody").is_ok());
        }
    }
}

/// Seconds a client must wait before its next sign-in attempt after `failures` consecutive wrong
/// passwords, counted for one account from one address (`free` = 3) or for one address over all
/// accounts (`free` = 20, against password spraying). The first few are free; then 1, 2, 4 …
/// up to 5 minutes. Nothing is locked: another address is not slowed at all.
pub fn sign_in_delay_seconds(failures: i64, free: i64) -> i64 {
    if failures < free {
        return 0;
    }
    let exponent = u32::try_from((failures - free).min(16)).unwrap_or(16);
    2_i64.pow(exponent).min(300)
}

/// Free attempts for one account from one address, and for one address over all accounts.
pub const FREE_PER_ACCOUNT: i64 = 3;
pub const FREE_PER_ADDRESS: i64 = 20;

#[cfg(test)]
mod delay_tests {
    use super::*;

    #[test]
    fn delays_grow_and_stop_at_five_minutes() {
        let d: Vec<i64> = (0..14)
            .map(|f| sign_in_delay_seconds(f, FREE_PER_ACCOUNT))
            .collect();
        assert_eq!(d, [0, 0, 0, 1, 2, 4, 8, 16, 32, 64, 128, 256, 300, 300]);
        assert_eq!(sign_in_delay_seconds(i64::MAX, 3), 300);
    }
}
