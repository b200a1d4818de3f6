//! Arbitrary-precision cty numbers.
//!
//! Terraform numbers are big decimals: msgpack carries them as ints, floats or decimal strings
//! when they fit neither. Equality is numeric (`1` == `1.0`).

use std::fmt;
use std::str::FromStr;

use bigdecimal::BigDecimal;

/// A cty number: a finite big decimal or an infinity.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd)]
pub enum Number {
    Finite(BigDecimal),
    PosInfinity,
    NegInfinity,
}

impl Number {
    pub fn from_i64(v: i64) -> Number {
        Number::Finite(BigDecimal::from(v))
    }

    /// The value as an i64 when it is an integer in range.
    pub fn as_i64(&self) -> Option<i64> {
        match self {
            Number::Finite(d) if d.is_integer() => d.to_string().parse().ok(),
            _ => None,
        }
    }

    pub fn as_f64(&self) -> f64 {
        match self {
            Number::Finite(d) => d.to_string().parse().unwrap_or(f64::NAN),
            Number::PosInfinity => f64::INFINITY,
            Number::NegInfinity => f64::NEG_INFINITY,
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
            BigDecimal::try_from(v).ok().map(|d| Number::Finite(d.normalized()))
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
