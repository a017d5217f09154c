//! Showing amounts and quantities to people: money in the organization's currency ("€12,500"),
//! numbers grouped by thousands.

/// How many minor-unit digits a currency has (ISO 4217); most have two.
fn minor_digits(currency: &str) -> u32 {
    match currency {
        "BIF" | "CLP" | "DJF" | "GNF" | "ISK" | "JPY" | "KMF" | "KRW" | "PYG" | "RWF" | "UGX" | "UYI"
        | "VND" | "VUV" | "XAF" | "XOF" | "XPF" => 0,
        "BHD" | "IQD" | "JOD" | "KWD" | "LYD" | "OMR" | "TND" => 3,
        _ => 2,
    }
}

/// The symbol people recognise, for the common currencies; others are shown by their code.
fn symbol(currency: &str) -> Option<&'static str> {
    Some(match currency {
        "USD" => "$",
        "EUR" => "€",
        "GBP" => "£",
        "JPY" => "¥",
        "INR" => "₹",
        "KRW" => "₩",
        _ => return None,
    })
}

/// An amount in minor units as whole major units, the way a roll-up shows money:
/// 1_250_050 EUR → "€12,501", 900 CHF → "CHF 9".
pub fn format_money(minor: i64, currency: &str) -> String {
    let scale = 10_i64.pow(minor_digits(currency));
    // Half away from zero, as people round.
    let major = (minor + minor.signum() * scale / 2) / scale;
    let sign = if major < 0 { "-" } else { "" };
    let digits = group_thousands(major.unsigned_abs());
    match symbol(currency) {
        Some(symbol) => format!("{sign}{symbol}{digits}"),
        None => format!("{sign}{currency} {digits}"),
    }
}

/// An amount in minor units as a plain number of major units, for spreadsheets: 1_250_050 EUR →
/// "12500.50".
pub fn major_units(minor: i64, currency: &str) -> String {
    rust_decimal::Decimal::new(minor, minor_digits(currency)).to_string()
}

/// 1234567 → "1,234,567".
pub fn group_thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut grouped = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, digit) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            grouped.push(',');
        }
        grouped.push(digit);
    }
    grouped
}

/// A quantity such as person-weeks: whole numbers grouped by thousands, else one decimal.
pub fn format_quantity(value: f64) -> String {
    let tenths = (value * 10.0).round() as i64;
    let whole = group_thousands((tenths / 10).unsigned_abs());
    let sign = if tenths < 0 { "-" } else { "" };
    match tenths % 10 {
        0 => format!("{sign}{whole}"),
        fraction => format!("{sign}{whole}.{}", fraction.abs()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn money_shows_whole_major_units_with_the_symbol() {
        assert_eq!(format_money(1_250_000, "EUR"), "€12,500");
        assert_eq!(format_money(1_250_050, "EUR"), "€12,501");
        assert_eq!(format_money(0, "USD"), "$0");
        assert_eq!(format_money(1_500, "JPY"), "¥1,500");
        assert_eq!(format_money(123_456_789, "CHF"), "CHF 1,234,568");
        assert_eq!(format_money(-250, "GBP"), "-£3");
        assert_eq!(format_money(1_234, "KWD"), "KWD 1");
        assert_eq!(major_units(1_250_050, "EUR"), "12500.50");
        assert_eq!(major_units(1_500, "JPY"), "1500");
    }

    #[test]
    fn quantities_group_thousands_and_keep_one_decimal() {
        assert_eq!(group_thousands(0), "0");
        assert_eq!(group_thousands(999), "999");
        assert_eq!(group_thousands(1_000), "1,000");
        assert_eq!(group_thousands(1_234_567), "1,234,567");
        assert_eq!(format_quantity(12.0), "12");
        assert_eq!(format_quantity(1234.25), "1,234.3");
        assert_eq!(format_quantity(0.5), "0.5");
    }
}
