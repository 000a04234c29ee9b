//! Rule 11's search (``policies/textmatch.py`` is the reference): ``find(text, index)`` returns
//! the same matches in the same order, ``spans(text)`` where each atom is.

mod fold;
mod index;
mod search;

use pyo3::prelude::*;
use pyo3::types::{PyBool, PyList, PyString, PyTuple};

use index::TextIndex;
use search::{Found, Search};

/// Every match of ``index`` in ``text``: (first atom, last atom, kind, protected, key).
#[pyfunction]
fn find<'py>(text: &Bound<'py, PyString>, index: &TextIndex) -> PyResult<Bound<'py, PyList>> {
    let py = text.py();
    let atoms = fold::split(py, text.to_str()?)?;
    let matches = Search::run(py, &atoms, index)?;
    let out = PyList::empty(py);
    if matches.is_empty() {
        return Ok(out);
    }
    let date = PyString::intern(py, "date");
    let phone = PyString::intern(py, "phone");
    let yes = PyBool::new(py, true);
    for (first, last, found) in matches {
        let item = match found {
            Found::Skeleton(s) => PyTuple::new(
                py,
                [
                    first.into_pyobject(py)?.into_any(),
                    last.into_pyobject(py)?.into_any(),
                    s.kind.bind(py).clone(),
                    s.protected.bind(py).clone(),
                    s.key.bind(py).clone(),
                ],
            )?,
            Found::Date(key) | Found::Phone(key) => {
                let kind = if matches!(found, Found::Date(_)) { &date } else { &phone };
                PyTuple::new(
                    py,
                    [
                        first.into_pyobject(py)?.into_any(),
                        last.into_pyobject(py)?.into_any(),
                        kind.clone().into_any(),
                        yes.to_owned().into_any(),
                        key.bind(py).clone(),
                    ],
                )?
            }
        };
        out.append(item)?;
    }
    Ok(out)
}

/// Where each atom of ``text`` is: (start, end) as Python indexes the str.
#[pyfunction]
fn spans(py: Python<'_>, text: &str) -> PyResult<Vec<(usize, usize)>> {
    Ok(fold::split(py, text)?.into_iter().map(|a| (a.start, a.end)).collect())
}

/// The folded atoms of ``text`` (``policies.forms.split_atoms(text)[1]``).
#[pyfunction]
fn atoms(py: Python<'_>, text: &str) -> PyResult<Vec<String>> {
    Ok(fold::split(py, text)?.into_iter().map(|a| a.text).collect())
}

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<TextIndex>()?;
    m.add_function(wrap_pyfunction!(find, m)?)?;
    m.add_function(wrap_pyfunction!(spans, m)?)?;
    m.add_function(wrap_pyfunction!(atoms, m)?)?;
    m.add_function(wrap_pyfunction!(fold::set_folder, m)?)?;
    Ok(())
}
