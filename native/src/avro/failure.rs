//! What went wrong, and where in the record: the path is collected as the error unwinds.

use std::fmt;

pub enum Step {
    Field(String),
    Index(usize),
    Key(String),
}

/// A value that cannot be written (or a body that cannot be read) at a path of the record.
pub struct Failure {
    /// Innermost step first (pushed while unwinding).
    steps: Vec<Step>,
    message: String,
}

pub type Outcome<T> = Result<T, Failure>;

impl Failure {
    pub fn new(message: impl Into<String>) -> Self {
        Failure { steps: Vec::new(), message: message.into() }
    }

    /// The same failure, one step further out.
    pub fn at(mut self, step: Step) -> Self {
        self.steps.push(step);
        self
    }

    /// The path of the value, e.g. ``victims[0].identity.name`` (empty for the record itself).
    pub fn path(&self) -> String {
        let mut out = String::new();
        for step in self.steps.iter().rev() {
            match step {
                Step::Field(name) => {
                    if !out.is_empty() {
                        out.push('.');
                    }
                    out.push_str(name);
                }
                Step::Index(at) => out.push_str(&format!("[{at}]")),
                Step::Key(key) => out.push_str(&format!("[{key:?}]")),
            }
        }
        out
    }
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let path = self.path();
        if path.is_empty() {
            write!(f, "{}", self.message)
        } else {
            write!(f, "{path}: {}", self.message)
        }
    }
}
