//! Money: stored in minor units of the organization's currency, typed by people in major units.

use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;

/// How many minor-unit digits a currency has (ISO 4217); most have two.
pub fn minor_digits(currency: &str) -> u32 {
    match currency {
        "BIF" | "CLP" | "DJF" | "GNF" | "ISK" | "JPY" | "KMF" | "KRW" | "PYG" | "RWF" | "UGX" | "UYI"
        | "VND" | "VUV" | "XAF" | "XOF" | "XPF" => 0,
        "BHD" | "IQD" | "JOD" | "KWD" | "LYD" | "OMR" | "TND" => 3,
        _ => 2,
    }
}

/// "12500.50" → 1250050 for a two-digit currency. The sign is kept for the domain's own rules to
/// judge; more decimals than the currency has, or anything but a plain number, is refused.
pub fn parse_major(text: &str, digits: u32) -> Result<i64, String> {
    let not_an_amount = || format!("must be an amount like {}", example(digits));
    let text = text.trim();
    // Only digits, one point and a leading minus: no exponents, no thousands separators whose
    // meaning differs between locales.
    let plain = text.strip_prefix('-').unwrap_or(text);
    if plain.is_empty()
        || plain.starts_with('.')
        || plain.chars().filter(|&c| c == '.').count() > 1
        || !plain.chars().all(|c| c.is_ascii_digit() || c == '.')
    {
        return Err(not_an_amount());
    }
    let amount: Decimal = text.parse().map_err(|_| not_an_amount())?;
    if amount.normalize().scale() > digits {
        return Err(match digits {
            0 => "must be a whole amount".to_owned(),
            _ => format!("must have at most {digits} decimals"),
        });
    }
    (amount * Decimal::from(10_i64.pow(digits)))
        .to_i64()
        .ok_or_else(|| "is too large".to_owned())
}

/// An amount as people type it in a currency with `digits` decimals: "12500.50" for two.
pub fn example(digits: u32) -> String {
    format_minor(12_500 * 10_i64.pow(digits) + 10_i64.pow(digits) / 2, digits)
}

/// 1250050 → "12500.50" for a two-digit currency: what an input shows for a stored amount.
pub fn format_minor(minor: i64, digits: u32) -> String {
    Decimal::new(minor, digits).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn major_units_become_minor_units() {
        assert_eq!(parse_major("12500.50", 2), Ok(1_250_050));
        assert_eq!(parse_major(" 7 ", 2), Ok(700));
        assert_eq!(parse_major("0.5", 2), Ok(50));
        assert_eq!(parse_major("1500", 0), Ok(1500));
        assert_eq!(parse_major("1.234", 3), Ok(1234));
        assert_eq!(parse_major("-3", 2), Ok(-300));
        assert_eq!(parse_major("1.50", 0), Err("must be a whole amount".into()));
        assert!(
            parse_major("1.505", 2)
                .unwrap_err()
                .contains("at most 2 decimals")
        );
        for bad in ["abc", "12,500.50", "1e3", "", ".5", "1.2.3", "--1"] {
            assert!(parse_major(bad, 2).unwrap_err().contains("12500.50"), "{bad}");
        }
        assert_eq!(parse_major("99999999999999999999", 2), Err("is too large".into()));
    }

    #[test]
    fn minor_units_show_as_major_units() {
        assert_eq!(format_minor(1_250_050, 2), "12500.50");
        assert_eq!(format_minor(700, 2), "7.00");
        assert_eq!(format_minor(1500, 0), "1500");
        assert_eq!(minor_digits("USD"), 2);
        assert_eq!(minor_digits("JPY"), 0);
        assert_eq!(minor_digits("KWD"), 3);
    }
}
