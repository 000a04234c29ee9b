//! Reading an Avro binary body into Python values, as ``fastavro.schemaless_reader`` does with
//! the writer's schema: records as dicts, enums as their symbol, ``datetime.date``, aware UTC
//! datetimes (``datetime.timezone.utc``), ``uuid.UUID``.
//!
//! Varints are read exactly as fastavro reads them (continuation bytes without limit, shifts
//! wrapping at 64 bits), union and enum indexes as Python indexes a list (``-1`` is the last).
//! Lengths are checked against what is left before anything is allocated, so a forged length
//! fails at once; an array of values that take no bytes (nulls) stops at [`MAX_EMPTY_ITEMS`]
//! instead of growing until memory runs out.

use pyo3::prelude::*;
use pyo3::types::{PyBool, PyBytes, PyDate, PyDateTime, PyDict, PyFloat, PyInt, PyList, PyString, PyTzInfo};

use super::calendar::{civil_from_days, FIRST_DAY, LAST_DAY};
use super::failure::{Failure, Outcome, Step};
use super::schema::{min_size, Node, Schema};

/// At most this many items of a type that takes no bytes in one block.
pub const MAX_EMPTY_ITEMS: i64 = 1 << 20;
/// Records, arrays and maps nested deeper than this are refused (fastavro's recursion limit).
const MAX_DEPTH: usize = 256;

pub struct Decoder<'s, 'b, 'py> {
    py: Python<'py>,
    schema: &'s Schema,
    data: &'b [u8],
    pub at: usize,
    utc: Bound<'py, PyTzInfo>,
    depth: usize,
}

fn python(err: impl std::fmt::Display) -> Failure {
    Failure::new(err.to_string())
}

impl<'s, 'b, 'py> Decoder<'s, 'b, 'py> {
    pub fn new(py: Python<'py>, schema: &'s Schema, data: &'b [u8], at: usize) -> PyResult<Self> {
        let utc = PyTzInfo::utc(py)?.to_owned();
        Ok(Decoder { py, schema, data, at, utc, depth: 0 })
    }

    fn left(&self) -> usize {
        self.data.len() - self.at
    }

    fn byte(&mut self) -> Outcome<u8> {
        match self.data.get(self.at) {
            Some(&b) => {
                self.at += 1;
                Ok(b)
            }
            None => Err(Failure::new("the body ends early")),
        }
    }

    fn long(&mut self) -> Outcome<i64> {
        let mut b = self.byte()?;
        let mut n = u64::from(b & 0x7f);
        let mut shift: u32 = 7;
        while b & 0x80 != 0 {
            b = self.byte()?;
            n |= u64::from(b & 0x7f).wrapping_shl(shift);
            shift = shift.wrapping_add(7);
        }
        Ok((n >> 1) as i64 ^ -((n & 1) as i64))
    }

    fn take(&mut self, len: i64) -> Outcome<&'b [u8]> {
        if len < 0 {
            return Err(Failure::new(format!("negative length {len}")));
        }
        if len as u64 > self.left() as u64 {
            return Err(Failure::new(format!(
                "length {len} is past the end of the body ({} bytes left)",
                self.left()
            )));
        }
        let start = self.at;
        self.at += len as usize;
        Ok(&self.data[start..self.at])
    }

    fn text(&mut self) -> Outcome<&'b str> {
        let len = self.long()?;
        let raw = self.take(len)?;
        std::str::from_utf8(raw).map_err(|e| Failure::new(format!("a string is not UTF-8: {e}")))
    }

    /// Python's ``items[index]`` for a list of ``len`` items.
    fn index(&mut self, len: usize, what: &str) -> Outcome<usize> {
        let raw = self.long()?;
        let len_i = len as i64;
        let at = if raw < 0 { raw.wrapping_add(len_i) } else { raw };
        if at < 0 || at >= len_i {
            return Err(Failure::new(format!("{what} index {raw} out of range (0..{len})")));
        }
        Ok(at as usize)
    }

    /// The item count of the next block (0 at the end), after its byte size when it gives one.
    fn block(&mut self, item: &Node) -> Outcome<i64> {
        let mut count = self.long()?;
        if count < 0 {
            count = count.checked_neg().ok_or_else(|| Failure::new("a block count out of range"))?;
            self.long()?; // the block's size in bytes, which nothing needs
        }
        let each = min_size(&self.schema.records, item) as u64;
        if each > 0 && (count as u64).saturating_mul(each) > self.left() as u64 {
            return Err(Failure::new(format!("a block of {count} items is past the end of the body")));
        }
        if each == 0 && count > MAX_EMPTY_ITEMS {
            return Err(Failure::new(format!("a block of {count} empty items")));
        }
        Ok(count)
    }

    pub fn read(&mut self, node: &Node) -> Outcome<Bound<'py, PyAny>> {
        let py = self.py;
        Ok(match node {
            Node::Null => py.None().into_bound(py),
            Node::Boolean => {
                let b = self.byte()?;
                PyBool::new(py, b != 0).to_owned().into_any()
            }
            Node::Int | Node::Long => PyInt::new(py, self.long()?).into_any(),
            Node::Float => {
                let raw = self.take(4)?;
                let x = f32::from_le_bytes(raw.try_into().expect("4 bytes"));
                PyFloat::new(py, f64::from(x)).into_any()
            }
            Node::Double => {
                let raw = self.take(8)?;
                PyFloat::new(py, f64::from_le_bytes(raw.try_into().expect("8 bytes"))).into_any()
            }
            Node::Bytes => {
                let len = self.long()?;
                PyBytes::new(py, self.take(len)?).into_any()
            }
            Node::String => PyString::new(py, self.text()?).into_any(),
            Node::Uuid => {
                let text = self.text()?;
                let class = self.schema.uuid_class.as_ref().expect("a schema with a uuid knows uuid.UUID");
                class.bind(py).call1((text,)).map_err(python)?
            }
            Node::Fixed(size) => PyBytes::new(py, self.take(*size as i64)?).into_any(),
            Node::Enum(at) => {
                let symbols = &self.schema.enums[*at].symbols;
                let index = self.index(symbols.len(), "enum")?;
                symbols[index].bind(py).clone().into_any()
            }
            Node::Date => {
                let days = self.long()?;
                if !(FIRST_DAY..=LAST_DAY).contains(&days) {
                    return Err(Failure::new(format!(
                        "{days} days from 1970-01-01 is not a date Python can hold"
                    )));
                }
                let (y, m, d) = civil_from_days(days);
                PyDate::new(py, y as i32, m, d).map_err(python)?.into_any()
            }
            Node::TimestampMillis => self.timestamp()?,
            Node::Array(items) => self.nested(|this| this.array(items))?,
            Node::Map(values) => self.nested(|this| this.map(values))?,
            Node::Union(branches) => {
                let at = self.index(branches.len(), "union")?;
                self.read(&branches[at])?
            }
            Node::Record(at) => self.nested(|this| this.record(*at))?,
        })
    }

    fn nested(
        &mut self,
        read: impl FnOnce(&mut Self) -> Outcome<Bound<'py, PyAny>>,
    ) -> Outcome<Bound<'py, PyAny>> {
        if self.depth >= MAX_DEPTH {
            return Err(Failure::new("values nested too deep"));
        }
        self.depth += 1;
        let value = read(self);
        self.depth -= 1;
        value
    }

    fn timestamp(&mut self) -> Outcome<Bound<'py, PyAny>> {
        let millis = self.long()?;
        let days = millis.div_euclid(86_400_000);
        if !(FIRST_DAY..=LAST_DAY).contains(&days) {
            return Err(Failure::new(format!(
                "{millis} ms from the epoch is not a datetime Python can hold"
            )));
        }
        let in_day = millis.rem_euclid(86_400_000);
        let (y, m, d) = civil_from_days(days);
        let seconds = in_day / 1000;
        let moment = PyDateTime::new(
            self.py,
            y as i32,
            m,
            d,
            (seconds / 3600) as u8,
            (seconds / 60 % 60) as u8,
            (seconds % 60) as u8,
            (in_day % 1000 * 1000) as u32,
            Some(&self.utc),
        )
        .map_err(python)?;
        Ok(moment.into_any())
    }

    fn array(&mut self, items: &Node) -> Outcome<Bound<'py, PyAny>> {
        let list = PyList::empty(self.py);
        loop {
            let count = self.block(items)?;
            if count == 0 {
                return Ok(list.into_any());
            }
            for _ in 0..count {
                let at = list.len();
                let item = self.read(items).map_err(|f| f.at(Step::Index(at)))?;
                list.append(item).map_err(python)?;
            }
        }
    }

    fn map(&mut self, values: &Node) -> Outcome<Bound<'py, PyAny>> {
        let dict = PyDict::new(self.py);
        loop {
            let count = self.block(&Node::String)?;
            if count == 0 {
                return Ok(dict.into_any());
            }
            for _ in 0..count {
                let key = self.text()?;
                let value = self.read(values).map_err(|f| f.at(Step::Key(key.to_owned())))?;
                dict.set_item(key, value).map_err(python)?;
            }
        }
    }

    fn record(&mut self, at: usize) -> Outcome<Bound<'py, PyAny>> {
        let dict = PyDict::new(self.py);
        let schema = self.schema;
        for field in &schema.records[at].fields {
            let value = self.read(&field.node).map_err(|f| f.at(Step::Field(field.name.clone())))?;
            dict.set_item(field.key.bind(self.py), value).map_err(python)?;
        }
        Ok(dict.into_any())
    }
}
