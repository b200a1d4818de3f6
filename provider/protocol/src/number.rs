//! Arbitrary-precision cty numbers.
//!
//! Terraform numbers are big decimals: msgpack carries them as ints, floats or decimal strings
//! when they fit neither. Equality is numeric (`1` == `1.0`).

use std::cmp::Ordering;
use std::fmt;
use std::str::FromStr;

use bigdecimal::{BigDecimal, ToPrimitive};

/// A cty number: a finite big decimal or an infinity.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Number {
    Finite(BigDecimal),
    PosInfinity,
    NegInfinity,
}

/// The largest decimal exponent (either sign) and digit count accepted from the wire.
///
/// `BigDecimal` arithmetic scales with the exponent, so `1e-999999999` from a hostile or
/// corrupt payload would allocate gigabytes on the first comparison. Terraform's own numbers
/// (512-bit floats in practice) are nowhere near this bound.
pub const MAX_WIRE_EXPONENT: i64 = 10_000;

impl Number {
    pub fn from_i64(v: i64) -> Number {
        Number::Finite(BigDecimal::from(v))
    }

    /// The value as an i64 when it is an integer in range.
    pub fn as_i64(&self) -> Option<i64> {
        match self {
            Number::Finite(d) if d.is_integer() => d.to_i64(),
            _ => None,
        }
    }

    /// The value as a u64 when it is a non-negative integer in range.
    pub fn as_u64(&self) -> Option<u64> {
        match self {
            Number::Finite(d) if d.is_integer() => d.to_u64(),
            _ => None,
        }
    }

    pub fn as_f64(&self) -> f64 {
        match self {
            Number::Finite(d) => d.to_f64().unwrap_or(f64::NAN),
            Number::PosInfinity => f64::INFINITY,
            Number::NegInfinity => f64::NEG_INFINITY,
        }
    }

    /// The value as an f64 when the conversion loses nothing (infinities included).
    pub fn as_exact_f64(&self) -> Option<f64> {
        match self {
            Number::Finite(d) => {
                let f = d.to_f64().filter(|f| f.is_finite())?;
                (BigDecimal::try_from(f).ok()? == *d).then_some(f)
            }
            Number::PosInfinity => Some(f64::INFINITY),
            Number::NegInfinity => Some(f64::NEG_INFINITY),
        }
    }

    /// Exact conversion from a float; None for NaN (cty has no NaN).
    pub fn from_f64(v: f64) -> Option<Number> {
        if v.is_nan() {
            None
        } else if v == f64::INFINITY {
            Some(Number::PosInfinity)
        } else if v == f64::NEG_INFINITY {
            Some(Number::NegInfinity)
        } else {
            BigDecimal::try_from(v)
                .ok()
                .map(|d| Number::Finite(d.normalized()))
        }
    }

    /// Parses a number received from Terraform (a msgpack string or JSON number text).
    ///
    /// Like [`FromStr`] but rejects exponents beyond [`MAX_WIRE_EXPONENT`], so untrusted input
    /// cannot make later arithmetic explode.
    pub fn parse_wire(s: &str) -> Option<Number> {
        match s.parse().ok()? {
            Number::Finite(d) => {
                let scale = d.fractional_digit_count();
                let digits = i64::try_from(d.digits()).unwrap_or(i64::MAX);
                (scale.abs() <= MAX_WIRE_EXPONENT && digits <= MAX_WIRE_EXPONENT)
                    .then_some(Number::Finite(d))
            }
            infinite => Some(infinite),
        }
    }

    /// Plain decimal text (no exponent), the form go-cty writes for numbers that are neither
    /// int64 nor float64.
    pub fn to_plain_string(&self) -> String {
        match self {
            Number::Finite(d) => d.normalized().to_plain_string(),
            other => other.to_string(),
        }
    }
}

impl PartialOrd for Number {
    /// Numeric order, infinities at the ends.
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        match (self, other) {
            (Number::Finite(a), Number::Finite(b)) => a.partial_cmp(b),
            (a, b) if a == b => Some(Ordering::Equal),
            (Number::NegInfinity, _) | (_, Number::PosInfinity) => Some(Ordering::Less),
            (Number::PosInfinity, _) | (_, Number::NegInfinity) => Some(Ordering::Greater),
        }
    }
}

impl From<i64> for Number {
    fn from(v: i64) -> Self {
        Number::from_i64(v)
    }
}

impl FromStr for Number {
    type Err = bigdecimal::ParseBigDecimalError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "+Inf" | "Inf" | "+Infinity" | "Infinity" => Ok(Number::PosInfinity),
            "-Inf" | "-Infinity" => Ok(Number::NegInfinity),
            _ => BigDecimal::from_str(s).map(Number::Finite),
        }
    }
}

impl fmt::Display for Number {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Number::Finite(d) => write!(f, "{}", d.normalized()),
            Number::PosInfinity => f.write_str("+Inf"),
            Number::NegInfinity => f.write_str("-Inf"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn equality_and_order_are_numeric() {
        let one: Number = "1.0".parse().unwrap();
        assert_eq!(one, Number::from_i64(1));
        assert!(Number::NegInfinity < Number::from_i64(-5));
        assert!(Number::from_i64(5) < Number::PosInfinity);
        assert!(Number::NegInfinity < Number::PosInfinity);
        assert!(Number::from_i64(2) > one);
    }

    #[test]
    fn integer_and_float_views() {
        assert_eq!("1e3".parse::<Number>().unwrap().as_i64(), Some(1000));
        assert_eq!(
            "9223372036854775808".parse::<Number>().unwrap().as_i64(),
            None
        );
        assert_eq!("0.5".parse::<Number>().unwrap().as_exact_f64(), Some(0.5));
        assert_eq!("0.1".parse::<Number>().unwrap().as_exact_f64(), None);
    }

    #[test]
    fn wire_parse_bounds_exponents() {
        assert!(Number::parse_wire("1e-999999999").is_none());
        assert!(Number::parse_wire("1e999999999").is_none());
        assert!(Number::parse_wire("not a number").is_none());
        assert_eq!(
            Number::parse_wire("1e300").unwrap().to_plain_string().len(),
            301
        );
        assert_eq!(Number::parse_wire("-Inf"), Some(Number::NegInfinity));
    }
}
