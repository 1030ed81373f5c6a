//! Numbers typed into free text (a phone in a rating comment, an ID number in a
//! note) are masked wherever the text is shown to someone other than its writer.

/// Masks every run of seven or more digits in `s` (spaces and dashes between digits
/// count as part of the run, an ID number may end in `X`): mobile numbers become
/// `139****5671`, ID numbers `110101********7777`, other long numbers keep their last
/// four digits. Shorter numbers (prices, kilometres, dates) are left alone.
pub fn mask_numbers(s: &str) -> String {
    let chars: Vec<char> = s.chars().collect();
    let mut out = String::with_capacity(s.len());
    let mut i = 0;
    while i < chars.len() {
        if !chars[i].is_ascii_digit() {
            out.push(chars[i]);
            i += 1;
            continue;
        }
        // Extend the run over digits and single separators between digits.
        let start = i;
        let mut end = i;
        let mut digits = String::new();
        let mut j = i;
        while j < chars.len() {
            let c = chars[j];
            if c.is_ascii_digit() {
                digits.push(c);
                j += 1;
                end = j;
            } else if (c == ' ' || c == '-') && j + 1 < chars.len() && chars[j + 1].is_ascii_digit()
            {
                j += 1;
            } else if (c == 'X' || c == 'x') && digits.len() == 17 {
                digits.push('X');
                j += 1;
                end = j;
                break;
            } else {
                break;
            }
        }
        if digits.len() >= 7 {
            out.push_str(&mask_run(&digits));
        } else {
            out.extend(&chars[start..end]);
        }
        i = end;
    }
    out
}

fn mask_run(d: &str) -> String {
    use crate::mask::{mask_id_number, mask_middle};
    match d.len() {
        18 => mask_id_number(d),
        11 => mask_middle(d, 3, 4),
        // 86 + mobile
        13 if d.starts_with("86") => format!("86{}", mask_middle(&d[2..], 3, 4)),
        n => format!("{}{}", "*".repeat((n - 4).min(8)), &d[n - 4..]),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::mask_numbers;

    #[test]
    fn phones_and_ids_in_text_are_masked() {
        assert_eq!(
            mask_numbers("很好，有事打我13912345671谢谢"),
            "很好，有事打我139****5671谢谢"
        );
        assert_eq!(
            mask_numbers("call 139-1234-5671 or +86 139 1234 5671"),
            "call 139****5671 or +86139****5671"
        );
        assert_eq!(
            mask_numbers("ID 11010119900307777X ok"),
            "ID 110101********777X ok"
        );
        assert_eq!(
            mask_numbers("修了 3 次，花了 1200 元，跑了 45000 km"),
            "修了 3 次，花了 1200 元，跑了 45000 km"
        );
        assert_eq!(mask_numbers("单号 1234567"), "单号 ***4567");
    }

    #[test]
    fn no_digit_of_a_phone_survives_apart_from_the_visible_ends() {
        let m = mask_numbers("13912345671");
        assert!(!m.contains("12345"));
    }
}
