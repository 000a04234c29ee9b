//! Cutting a text into folded atoms exactly as ``policies.forms.split_atoms`` does.
//!
//! ASCII characters are folded here (lower case; letters and digits). Any other character is
//! folded by Python itself (``policies.forms``: look-alikes, NFKD without accents, casefold,
//! decimal digits of any script), once per distinct character: the folder registered with
//! [`set_folder`] returns the folded characters and whether each is a letter or a digit, and
//! the answer is kept. So the Unicode rules are Python's own, whatever its Unicode version.

use std::collections::HashMap;
use std::sync::Mutex;

use pyo3::prelude::*;
use pyo3::types::PyString;

/// 0: a separator, 1: a letter, 2: a digit (as ``split_atoms`` classes a folded character).
pub type Class = u8;
pub const SEPARATOR: Class = 0;
pub const LETTER: Class = 1;
pub const DIGIT: Class = 2;

/// Distinct non-ASCII characters remembered; past this, Python is asked again each time.
const MAX_CACHED: usize = 1 << 16;

static FOLDER: Mutex<Option<Py<PyAny>>> = Mutex::new(None);
/// A character's folded characters and their classes.
type Folded = Vec<(char, Class)>;

static CACHE: Mutex<Option<HashMap<char, Folded>>> = Mutex::new(None);

/// Register ``folder(ch) -> (folded: str, classes: bytes)`` for non-ASCII characters.
#[pyfunction]
pub fn set_folder(folder: Py<PyAny>) {
    *FOLDER.lock().expect("folder lock") = Some(folder);
    *CACHE.lock().expect("cache lock") = None;
}

fn fold_foreign(py: Python<'_>, ch: char) -> PyResult<Folded> {
    if let Some(found) = CACHE.lock().expect("cache lock").as_ref().and_then(|c| c.get(&ch)) {
        return Ok(found.clone());
    }
    // Python is called with no lock held: it may switch threads, and another may search.
    let folder = match FOLDER.lock().expect("folder lock").as_ref() {
        Some(folder) => folder.clone_ref(py),
        None => return Err(pyo3::exceptions::PyRuntimeError::new_err("no folder registered (set_folder)")),
    };
    let mut buffer = [0u8; 4];
    let answer = folder.bind(py).call1((PyString::new(py, ch.encode_utf8(&mut buffer)),))?;
    let (folded, classes): (String, Vec<u8>) = answer.extract()?;
    let pairs: Folded = folded.chars().zip(classes).collect();
    let mut cache = CACHE.lock().expect("cache lock");
    let cache = cache.get_or_insert_with(HashMap::new);
    if cache.len() < MAX_CACHED {
        cache.insert(ch, pairs.clone());
    }
    Ok(pairs)
}

/// One atom: its folded text, its length in characters, where it is in the text (character
/// offsets, as Python indexes a str) and whether it is digits.
pub struct Atom {
    pub text: String,
    pub chars: usize,
    pub start: usize,
    pub end: usize,
    pub digits: bool,
}

struct Cutter {
    atoms: Vec<Atom>,
    current: String,
    chars: usize,
    class: Class,
    first: usize,
    last: usize,
}

impl Cutter {
    fn push(&mut self, at: usize, c: char, class: Class) {
        if class != self.class {
            self.close();
            self.class = class;
            self.first = at;
        }
        if class != SEPARATOR {
            self.current.push(c);
            self.chars += 1;
            self.last = at + 1;
        }
    }

    fn close(&mut self) {
        if self.class != SEPARATOR {
            self.atoms.push(Atom {
                text: std::mem::take(&mut self.current),
                chars: self.chars,
                start: self.first,
                end: self.last,
                digits: self.class == DIGIT,
            });
        }
        self.current.clear();
        self.chars = 0;
    }
}

fn ascii_class(c: u8) -> Class {
    if c.is_ascii_digit() {
        DIGIT
    } else if c.is_ascii_alphabetic() {
        LETTER
    } else {
        SEPARATOR
    }
}

/// The atoms of ``text`` (see the module doc).
pub fn split(py: Python<'_>, text: &str) -> PyResult<Vec<Atom>> {
    let mut cutter =
        Cutter { atoms: Vec::new(), current: String::new(), chars: 0, class: SEPARATOR, first: 0, last: 0 };
    for (at, ch) in text.chars().enumerate() {
        if ch.is_ascii() {
            let byte = ch as u8;
            cutter.push(at, byte.to_ascii_lowercase() as char, ascii_class(byte));
        } else {
            for (c, class) in fold_foreign(py, ch)? {
                cutter.push(at, c, class);
            }
        }
    }
    cutter.close();
    Ok(cutter.atoms)
}
