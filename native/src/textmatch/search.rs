//! ``policies.textmatch.find``: skeletons at atom boundaries, then dates, then phone numbers,
//! each match in the order the reference appends it.

use pyo3::prelude::*;
use pyo3::types::PyString;

use super::fold::Atom;
use super::index::{TextIndex, Ymd};

const MIN_SKELETON: usize = 3;
const MIN_PHONE_DIGITS: usize = 7;
const LONGEST_PHONE_RUN: usize = 7;
const ORDINALS: [&str; 4] = ["st", "nd", "rd", "th"];

/// What a match found: a skeleton of the index, or a withheld date's or phone's key.
pub enum Found<'i> {
    Skeleton(&'i super::index::Skeleton),
    Date(&'i Py<PyAny>),
    Phone(&'i Py<PyAny>),
}

/// First atom, last atom, what was found.
pub type Match<'i> = (usize, usize, Found<'i>);

fn month(name: &str) -> Option<i64> {
    Some(match name {
        "jan" | "january" => 1,
        "feb" | "february" => 2,
        "mar" | "march" => 3,
        "apr" | "april" => 4,
        "may" => 5,
        "jun" | "june" => 6,
        "jul" | "july" => 7,
        "aug" | "august" => 8,
        "sep" | "sept" | "september" => 9,
        "oct" | "october" => 10,
        "nov" | "november" => 11,
        "dec" | "december" => 12,
        _ => return None,
    })
}

/// Python's ``int(text)`` of an atom of digits: here for ASCII digits that fit, by Python
/// itself otherwise (it refuses a digit that is not decimal, or a number of over 4,300 digits,
/// and the search fails as the reference does). None: a number too large to be a date part.
fn int(py: Python<'_>, text: &str) -> PyResult<Option<i64>> {
    if text.len() <= 18 && text.bytes().all(|b| b.is_ascii_digit()) {
        return Ok(text.parse().ok());
    }
    let value = py.get_type::<pyo3::types::PyInt>().call1((PyString::new(py, text),))?;
    Ok(value.extract::<i64>().ok())
}

/// Characters ``from..to`` of ``text`` (Python's ``text[from:to]``).
fn chars(text: &str, from: usize, to: usize) -> &str {
    let mut indices = text.char_indices().map(|(at, _)| at).chain(std::iter::once(text.len()));
    let start = indices.nth(from).unwrap_or(text.len());
    let end = if to > from { indices.nth(to - from - 1).unwrap_or(text.len()) } else { start };
    &text[start..end]
}

pub struct Search<'a, 'i, 'py> {
    py: Python<'py>,
    atoms: &'a [Atom],
    index: &'i TextIndex,
    pub found: Vec<Match<'i>>,
}

impl<'a, 'i, 'py> Search<'a, 'i, 'py> {
    pub fn run(py: Python<'py>, atoms: &'a [Atom], index: &'i TextIndex) -> PyResult<Vec<Match<'i>>> {
        let mut search = Search { py, atoms, index, found: Vec::new() };
        if atoms.is_empty() || (atoms.len() == 1 && atoms[0].chars < MIN_SKELETON) {
            return Ok(search.found);
        }
        if !index.buckets.is_empty() {
            search.skeletons();
        }
        if !index.dates.is_empty() && atoms.iter().any(|a| index.date_atoms.contains(&a.text)) {
            search.dates()?;
        }
        if !index.phones.is_empty() {
            let digits: String = atoms
                .iter()
                .filter(|a| a.text.chars().next().is_some_and(|c| c <= '9'))
                .map(|a| a.text.as_str())
                .collect();
            if digits.chars().count() >= MIN_PHONE_DIGITS
                && index.phone_tails.iter().any(|tail| digits.contains(tail.as_str()))
            {
                search.phones();
            }
        }
        Ok(search.found)
    }

    fn skeletons(&mut self) {
        let joined: String = self.atoms.iter().map(|a| a.text.as_str()).collect();
        let mut starts = Vec::with_capacity(self.atoms.len());
        let mut ends = Vec::with_capacity(self.atoms.len());
        let mut at = 0;
        for atom in self.atoms {
            starts.push(at);
            at += atom.text.len();
            ends.push(at);
        }
        for (i, &start) in starts.iter().enumerate() {
            let rest = &joined[start..];
            let Some(bucket) = self.index.buckets.get(chars(rest, 0, 3)) else {
                continue;
            };
            for skeleton in bucket {
                let end = start + skeleton.text.len();
                if let Ok(last) = ends.binary_search(&end) {
                    if rest.starts_with(skeleton.text.as_str()) {
                        self.found.push((i, last, Found::Skeleton(skeleton)));
                    }
                }
            }
        }
    }

    // -- dates ----------------------------------------------------------------------------------

    fn dates(&mut self) -> PyResult<()> {
        for i in 0..self.atoms.len() {
            let a = &self.atoms[i];
            let hits = if a.digits {
                if a.chars == 6 || a.chars == 8 {
                    self.compact(&a.text)?.into_iter().map(|ymd| (i, ymd)).collect()
                } else {
                    let mut hits = self.numeric(i)?;
                    hits.extend(self.day_month_name(i)?);
                    hits
                }
            } else if month(&a.text).is_some() {
                self.month_name_day(i)?
            } else {
                continue;
            };
            for (last, ymd) in hits {
                for key in &self.index.dates[&ymd] {
                    self.found.push((i, last, Found::Date(key)));
                }
            }
        }
        Ok(())
    }

    fn years(&self, text: &str) -> PyResult<Vec<i64>> {
        let value = int(self.py, text)?;
        let len = text.chars().count();
        Ok(match (value, len) {
            (Some(v), 4) => vec![v],
            (Some(v), 2) => vec![1900 + v, 2000 + v],
            _ => vec![],
        })
    }

    fn within(&self, years: &[i64], month: Option<i64>, day: Option<i64>) -> Vec<Ymd> {
        let (Some(m), Some(d)) = (month, day) else {
            return vec![];
        };
        years.iter().map(|&y| (y, m, d)).filter(|ymd| self.index.dates.contains_key(ymd)).collect()
    }

    /// ``17/11/1999``, ``11/17/99`` or ``1999-11-17``: three digit atoms.
    fn numeric(&self, i: usize) -> PyResult<Vec<(usize, Ymd)>> {
        let atoms = self.atoms;
        if i + 2 >= atoms.len() {
            return Ok(vec![]);
        }
        let (a, b, c) = (&atoms[i], &atoms[i + 1], &atoms[i + 2]);
        if !(b.digits && c.digits) || b.chars > 2 {
            return Ok(vec![]);
        }
        if a.chars == 4 && c.chars <= 2 {
            let (y, m, d) = (int(self.py, &a.text)?, int(self.py, &b.text)?, int(self.py, &c.text)?);
            return Ok(match (y, m, d) {
                (Some(y), Some(m), Some(d)) if self.index.dates.contains_key(&(y, m, d)) => {
                    vec![(i + 2, (y, m, d))]
                }
                _ => vec![],
            });
        }
        if a.chars <= 2 {
            let years = self.years(&c.text)?;
            let (x, y) = (int(self.py, &a.text)?, int(self.py, &b.text)?);
            let mut found = self.within(&years, y, x);
            found.extend(self.within(&years, x, y));
            return Ok(found.into_iter().map(|ymd| (i + 2, ymd)).collect());
        }
        Ok(vec![])
    }

    /// ``17 Nov 1999``, ``17th of November 1999``.
    fn day_month_name(&self, i: usize) -> PyResult<Vec<(usize, Ymd)>> {
        let atoms = self.atoms;
        let n = atoms.len();
        if atoms[i].chars > 2 {
            return Ok(vec![]);
        }
        let mut j = i + 1;
        if j < n && ORDINALS.contains(&atoms[j].text.as_str()) {
            j += 1;
        }
        if j < n && atoms[j].text == "of" {
            j += 1;
        }
        if j + 1 >= n || !atoms[j + 1].digits {
            return Ok(vec![]);
        }
        let Some(m) = month(&atoms[j].text) else {
            return Ok(vec![]);
        };
        let years = self.years(&atoms[j + 1].text)?;
        let day = int(self.py, &atoms[i].text)?;
        Ok(self.within(&years, Some(m), day).into_iter().map(|ymd| (j + 1, ymd)).collect())
    }

    /// ``November 17, 1999``, ``Nov 17th 1999``.
    fn month_name_day(&self, i: usize) -> PyResult<Vec<(usize, Ymd)>> {
        let atoms = self.atoms;
        let n = atoms.len();
        let mut j = i + 1;
        if j >= n || !atoms[j].digits || atoms[j].chars > 2 {
            return Ok(vec![]);
        }
        let day = int(self.py, &atoms[j].text)?;
        j += 1;
        if j < n && ORDINALS.contains(&atoms[j].text.as_str()) {
            j += 1;
        }
        if j >= n || !atoms[j].digits {
            return Ok(vec![]);
        }
        let years = self.years(&atoms[j].text)?;
        Ok(self.within(&years, month(&atoms[i].text), day).into_iter().map(|ymd| (j, ymd)).collect())
    }

    /// ``17111999``, ``19991117``, ``171199``, ``991117`` written as one run of digits.
    fn compact(&self, a: &str) -> PyResult<Vec<Ymd>> {
        let py = self.py;
        let part = |from: usize, to: usize| int(py, chars(a, from, to));
        let options: Vec<(Vec<i64>, Option<i64>, Option<i64>)> = if a.chars().count() == 8 {
            let one = |v: Option<i64>| v.into_iter().collect::<Vec<_>>();
            vec![
                (one(part(4, 8)?), part(2, 4)?, part(0, 2)?),
                (one(part(0, 4)?), part(4, 6)?, part(6, 8)?),
                (one(part(4, 8)?), part(0, 2)?, part(2, 4)?),
            ]
        } else {
            vec![
                (self.years(chars(a, 4, 6))?, part(2, 4)?, part(0, 2)?),
                (self.years(chars(a, 0, 2))?, part(2, 4)?, part(4, 6)?),
                (self.years(chars(a, 4, 6))?, part(0, 2)?, part(2, 4)?),
            ]
        };
        Ok(options.into_iter().flat_map(|(years, m, d)| self.within(&years, m, d)).collect())
    }

    // -- phones ---------------------------------------------------------------------------------

    fn phones(&mut self) {
        let atoms = self.atoms;
        let n = atoms.len();
        let mut i = 0;
        while i < n {
            if !atoms[i].digits {
                i += 1;
                continue;
            }
            let mut end = i;
            while end + 1 < n && atoms[end + 1].digits {
                end += 1;
            }
            for start in i..=end {
                let mut digits = String::new();
                for (j, atom) in
                    atoms.iter().enumerate().take(end.min(start + LONGEST_PHONE_RUN - 1) + 1).skip(start)
                {
                    digits.push_str(&atom.text);
                    let core = phone_core(&digits);
                    if core.chars().count() >= MIN_PHONE_DIGITS {
                        for (number, key) in &self.index.phones {
                            if number.ends_with(core.as_ref()) {
                                self.found.push((start, j, Found::Phone(key)));
                            }
                        }
                    }
                }
            }
            i = end + 1;
        }
    }
}

/// ``policies.forms.phone_core``: leading zeros dropped, and the national 0 after 44.
fn phone_core(digits: &str) -> std::borrow::Cow<'_, str> {
    let core = digits.trim_start_matches('0');
    match core.strip_prefix("440") {
        Some(rest) => std::borrow::Cow::Owned(format!("44{rest}")),
        None => std::borrow::Cow::Borrowed(core),
    }
}
