//! Masking of personal data shown in lists (SPEC §1).

/// Keeps the first `keep_start` and last `keep_end` characters and stars the middle:
/// `mask_middle("13812345678", 3, 4)` is `138****5678`. Short values are fully starred
/// so that masking never reveals more than it hides.
pub fn mask_middle(s: &str, keep_start: usize, keep_end: usize) -> String {
    let chars: Vec<char> = s.chars().collect();
    if chars.len() <= keep_start + keep_end {
        return "*".repeat(chars.len().max(1));
    }
    let stars = chars.len() - keep_start - keep_end;
    let mut out: String = chars[..keep_start].iter().collect();
    out.push_str(&"*".repeat(stars.min(8)));
    out.extend(&chars[chars.len() - keep_end..]);
    out
}

/// Masks a resident ID number: first 6 and last 4 kept.
pub fn mask_id_number(s: &str) -> String {
    mask_middle(s, 6, 4)
}

/// Masks a person's name: the family name is kept (张**).
pub fn mask_name(s: &str) -> String {
    let mut it = s.chars();
    match it.next() {
        Some(first) => {
            let rest = it.count();
            format!("{first}{}", "*".repeat(rest.max(1)))
        }
        None => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masks() {
        assert_eq!(mask_middle("13812345678", 3, 4), "138****5678");
        assert_eq!(mask_middle("123", 3, 4), "***");
        assert_eq!(mask_id_number("110101199003077777"), "110101********7777");
        assert_eq!(mask_name("张三丰"), "张**");
    }
}
