//! The withheld values' forms, read once from a ``policies.textmatch.ValueIndex``.

use std::collections::{HashMap, HashSet};

use pyo3::prelude::*;
use pyo3::types::{PyDict, PyFrozenSet, PyList, PyTuple};

/// A skeleton and what a match of it reports: (kind, protected, key), Python's own objects.
pub struct Skeleton {
    pub text: String,
    pub kind: Py<PyAny>,
    pub protected: Py<PyAny>,
    pub key: Py<PyAny>,
}

pub type Ymd = (i64, i64, i64);

/// What one text is searched for (see ``ValueIndex``).
#[pyclass(frozen, module = "schemas._native")]
pub struct TextIndex {
    /// Skeletons by their first three characters.
    pub buckets: HashMap<String, Vec<Skeleton>>,
    pub dates: HashMap<Ymd, Vec<Py<PyAny>>>,
    pub date_atoms: HashSet<String>,
    pub phones: Vec<(String, Py<PyAny>)>,
    pub phone_tails: Vec<String>,
}

fn strings(set: &Bound<'_, PyAny>) -> PyResult<Vec<String>> {
    let set = set.cast::<PyFrozenSet>()?;
    set.iter().map(|s| s.extract::<String>()).collect()
}

#[pymethods]
impl TextIndex {
    /// The native form of ``index`` (a ``policies.textmatch.ValueIndex``).
    #[new]
    fn new(index: &Bound<'_, PyAny>) -> PyResult<Self> {
        let mut buckets = HashMap::new();
        let skeletons = index.getattr("skeletons")?;
        for (gram, entries) in skeletons.cast::<PyDict>()?.iter() {
            let mut bucket = Vec::new();
            for entry in entries.cast::<PyList>()?.iter() {
                let entry = entry.cast::<PyTuple>()?;
                bucket.push(Skeleton {
                    text: entry.get_item(0)?.extract()?,
                    kind: entry.get_item(1)?.unbind(),
                    protected: entry.get_item(2)?.unbind(),
                    key: entry.get_item(3)?.unbind(),
                });
            }
            buckets.insert(gram.extract::<String>()?, bucket);
        }
        let mut dates = HashMap::new();
        for (ymd, keys) in index.getattr("dates")?.cast::<PyDict>()?.iter() {
            let ymd: Ymd = ymd.extract()?;
            let keys = keys.cast::<PyList>()?.iter().map(Bound::unbind).collect();
            dates.insert(ymd, keys);
        }
        let mut phones = Vec::new();
        for entry in index.getattr("phones")?.cast::<PyList>()?.iter() {
            let entry = entry.cast::<PyTuple>()?;
            phones.push((entry.get_item(0)?.extract()?, entry.get_item(1)?.unbind()));
        }
        Ok(TextIndex {
            buckets,
            dates,
            date_atoms: strings(&index.getattr("date_atoms")?)?.into_iter().collect(),
            phones,
            phone_tails: strings(&index.getattr("phone_tails")?)?,
        })
    }

    fn __bool__(&self) -> bool {
        !(self.buckets.is_empty() && self.dates.is_empty() && self.phones.is_empty())
    }
}
