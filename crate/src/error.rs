//! One error type for the whole crate. Every message says what went wrong and
//! how to fix it; the web layer turns it into a JS `Error` with that message.

use std::fmt;

#[derive(Debug, Clone, PartialEq)]
pub enum Error {
    /// A data file (IDX, weights) is malformed: wrong magic, truncated, inconsistent.
    Data(String),
    /// The GPU could not be reached or refused an operation.
    Gpu(String),
    /// A caller passed arguments that cannot work (sizes, lengths, names).
    Invalid(String),
    /// Reading a file from disk failed (native only).
    Io(String),
    /// A model spec is invalid: every problem found, each with its place and fix.
    Spec(Vec<String>),
}

impl Error {
    /// The whole message; for a spec, its problems one per line.
    pub fn message(&self) -> String {
        match self {
            Error::Data(m) | Error::Gpu(m) | Error::Invalid(m) | Error::Io(m) => m.clone(),
            Error::Spec(problems) => problems.join("\n"),
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message())
    }
}

impl std::error::Error for Error {}

pub type Result<T> = std::result::Result<T, Error>;
