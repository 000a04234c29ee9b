//! Writing a Python record as an Avro binary body, byte for byte as ``fastavro.schemaless_writer``.
//!
//! The encoder accepts only values whose bytes it knows fastavro writes the same way, and whose
//! union branch it knows fastavro would choose: exact types (``bool`` is never an ``int``), ints in
//! range, aware datetimes. Anything else is a [`Failure`]; the caller may then ask fastavro, which
//! is more lenient (``True`` for an int, a tuple for an array, a naive datetime in local time).

use pyo3::prelude::*;
use pyo3::types::{
    PyBool, PyBytes, PyDate, PyDateAccess, PyDateTime, PyDelta, PyDeltaAccess, PyDict, PyFloat, PyInt,
    PyList, PyString, PyTimeAccess, PyTuple, PyTzInfo, PyTzInfoAccess,
};

use super::calendar::days_from_civil;
use super::failure::{Failure, Outcome, Step};
use super::schema::{Node, Schema};

pub struct Encoder<'s, 'py> {
    py: Python<'py>,
    schema: &'s Schema,
    pub out: Vec<u8>,
}

/// The Python types the union rules tell apart.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Kind {
    None,
    Bool,
    Int,
    Float,
    Str,
    Bytes,
    List,
    Tuple,
    Dict,
    Date,
    DateTime,
    Other,
}

fn kind_of(value: &Bound<'_, PyAny>) -> Kind {
    if value.is_none() {
        Kind::None
    } else if value.is_instance_of::<PyBool>() {
        Kind::Bool
    } else if value.is_instance_of::<PyInt>() {
        Kind::Int
    } else if value.is_instance_of::<PyString>() {
        Kind::Str
    } else if value.is_instance_of::<PyDict>() {
        Kind::Dict
    } else if value.is_instance_of::<PyList>() {
        Kind::List
    } else if value.is_instance_of::<PyFloat>() {
        Kind::Float
    } else if value.is_instance_of::<PyBytes>() {
        Kind::Bytes
    } else if value.is_instance_of::<PyTuple>() {
        Kind::Tuple
    } else if value.is_instance_of::<PyDateTime>() {
        Kind::DateTime
    } else if value.is_instance_of::<PyDate>() {
        Kind::Date
    } else {
        Kind::Other
    }
}

fn unexpected(value: &Bound<'_, PyAny>, wanted: &str) -> Failure {
    let type_name = value.get_type().name().map(|n| n.to_string()).unwrap_or_else(|_| "?".to_owned());
    Failure::new(format!("expected {wanted}, got {type_name}"))
}

fn python(err: impl std::fmt::Display) -> Failure {
    Failure::new(err.to_string())
}

impl<'s, 'py> Encoder<'s, 'py> {
    pub fn new(py: Python<'py>, schema: &'s Schema, header: &[u8]) -> Self {
        let mut out = Vec::with_capacity(header.len() + 256);
        out.extend_from_slice(header);
        Encoder { py, schema, out }
    }

    fn long(&mut self, value: i64) {
        let mut n = ((value << 1) ^ (value >> 63)) as u64;
        while n & !0x7f != 0 {
            self.out.push((n & 0x7f) as u8 | 0x80);
            n >>= 7;
        }
        self.out.push(n as u8);
    }

    fn raw(&mut self, data: &[u8]) {
        self.long(data.len() as i64);
        self.out.extend_from_slice(data);
    }

    pub fn write(&mut self, node: &Node, value: &Bound<'py, PyAny>) -> Outcome<()> {
        match node {
            Node::Null if value.is_none() => Ok(()),
            Node::Null => Err(unexpected(value, "None")),
            Node::Boolean => match value.cast::<PyBool>() {
                Ok(b) => {
                    self.out.push(u8::from(b.is_true()));
                    Ok(())
                }
                Err(_) => Err(unexpected(value, "bool")),
            },
            Node::Int => {
                let n = integer(value)?;
                if i32::try_from(n).is_err() {
                    return Err(Failure::new(format!("{n} is out of range for an Avro int")));
                }
                self.long(n);
                Ok(())
            }
            Node::Long => {
                let n = integer(value)?;
                self.long(n);
                Ok(())
            }
            Node::Float => {
                let x = real(value)?;
                self.out.extend_from_slice(&(x as f32).to_le_bytes());
                Ok(())
            }
            Node::Double => {
                let x = real(value)?;
                self.out.extend_from_slice(&x.to_le_bytes());
                Ok(())
            }
            Node::Bytes => match value.cast_exact::<PyBytes>() {
                Ok(b) => {
                    self.raw(b.as_bytes());
                    Ok(())
                }
                Err(_) => Err(unexpected(value, "bytes")),
            },
            Node::String => self.string(value),
            Node::Uuid => self.uuid(value),
            Node::Fixed(size) => match value.cast_exact::<PyBytes>() {
                Ok(b) if b.as_bytes().len() == *size => {
                    self.out.extend_from_slice(b.as_bytes());
                    Ok(())
                }
                _ => Err(unexpected(value, &format!("{size} bytes"))),
            },
            Node::Enum(at) => {
                let symbol =
                    value.cast::<PyString>().map_err(|_| unexpected(value, "an enum symbol (str)"))?;
                let text = symbol.to_str().map_err(python)?;
                match self.schema.enums[*at].index.get(text) {
                    Some(&index) => {
                        self.long(index as i64);
                        Ok(())
                    }
                    None => Err(Failure::new(format!("{text:?} is not a symbol of the enum"))),
                }
            }
            Node::Date => {
                let days = date_days(value)?;
                self.long(days);
                Ok(())
            }
            Node::TimestampMillis => {
                let millis = timestamp_millis(self.py, value)?;
                self.long(millis);
                Ok(())
            }
            Node::Array(items) => {
                let list = value.cast::<PyList>().map_err(|_| unexpected(value, "list"))?;
                let len = list.len();
                if len > 0 {
                    self.long(len as i64);
                    for (at, item) in list.iter().enumerate() {
                        self.write(items, &item).map_err(|f| f.at(Step::Index(at)))?;
                    }
                }
                self.long(0);
                Ok(())
            }
            Node::Map(values) => {
                let dict = value.cast::<PyDict>().map_err(|_| unexpected(value, "dict"))?;
                let len = dict.len();
                if len > 0 {
                    self.long(len as i64);
                    for (key, item) in dict.iter() {
                        let key = key.cast::<PyString>().map_err(|_| unexpected(&key, "str (a map key)"))?;
                        let text = key.to_str().map_err(python)?;
                        self.raw(text.as_bytes());
                        self.write(values, &item).map_err(|f| f.at(Step::Key(text.to_owned())))?;
                    }
                }
                self.long(0);
                Ok(())
            }
            Node::Union(branches) => {
                let at = self.branch(branches, value)?;
                self.long(at as i64);
                self.write(&branches[at], value)
            }
            Node::Record(at) => self.record(*at, value),
        }
    }

    fn string(&mut self, value: &Bound<'py, PyAny>) -> Outcome<()> {
        let text = value.cast::<PyString>().map_err(|_| unexpected(value, "str"))?;
        let text = text.to_str().map_err(python)?;
        self.raw(text.as_bytes());
        Ok(())
    }

    fn uuid(&mut self, value: &Bound<'py, PyAny>) -> Outcome<()> {
        if value.is_instance_of::<PyString>() {
            return self.string(value);
        }
        let class = self.schema.uuid_class.as_ref().expect("a schema with a uuid knows uuid.UUID");
        if value.get_type().is(class.bind(self.py)) {
            // uuid.UUID itself (a subclass may write itself otherwise): its str() is the 128-bit
            // `int` in lowercase hex, 8-4-4-4-12, written here without a Python call.
            let number: u128 = value.getattr("int").map_err(python)?.extract().map_err(python)?;
            let hex = format!("{number:032x}");
            let text = format!("{}-{}-{}-{}-{}", &hex[..8], &hex[8..12], &hex[12..16], &hex[16..20], &hex[20..]);
            self.raw(text.as_bytes());
            return Ok(());
        }
        if !value.is_instance(class.bind(self.py)).map_err(python)? {
            return Err(unexpected(value, "uuid.UUID or str"));
        }
        let text = value.str().map_err(python)?;
        self.raw(text.to_str().map_err(python)?.as_bytes());
        Ok(())
    }

    fn record(&mut self, at: usize, value: &Bound<'py, PyAny>) -> Outcome<()> {
        let dict = value.cast::<PyDict>().map_err(|_| unexpected(value, "dict (a record)"))?;
        let schema = self.schema;
        for field in &schema.records[at].fields {
            let found = dict.get_item(field.key.bind(self.py)).map_err(python)?;
            let result = match found {
                Some(item) => self.write(&field.node, &item),
                None => match &field.default {
                    Some(default) => self.write(&field.node, &default.bind(self.py).clone()),
                    None if field.null_in_type => {
                        self.write(&field.node, &self.py.None().into_bound(self.py))
                    }
                    None => Err(Failure::new("no value and no default")),
                },
            };
            result.map_err(|f| f.at(Step::Field(field.name.clone())))?;
        }
        Ok(())
    }

    /// The branch of ``branches`` fastavro writes ``value`` with: the first that validates it
    /// (of several records, the one sharing most fields with it).
    fn branch(&self, branches: &[Node], value: &Bound<'py, PyAny>) -> Outcome<usize> {
        let kind = kind_of(value);
        if kind == Kind::Tuple {
            return Err(Failure::new(
                "a tuple in a union (fastavro's branch notation) is not written natively",
            ));
        }
        if kind == Kind::None {
            return branches
                .iter()
                .position(|b| matches!(b, Node::Null))
                .ok_or_else(|| Failure::new("None where the union has no null"));
        }
        if kind == Kind::Dict && value.cast::<PyDict>().map_err(python)?.contains("-type").map_err(python)? {
            return Err(Failure::new("a record naming its type (-type) is not written natively"));
        }
        if let [Node::Null, _] | [_, Node::Null] = branches {
            // The null branch does not validate a value; the other one must (the writer is
            // stricter than fastavro's validation, so what it writes, fastavro would choose).
            return Ok(usize::from(matches!(branches[0], Node::Null)));
        }
        let mut best: Option<usize> = None;
        let mut most_fields: i64 = -1;
        let mut could_be_float = false;
        for (at, candidate) in branches.iter().enumerate() {
            if could_be_float {
                if matches!(candidate, Node::Double) {
                    best = Some(at);
                    break;
                }
                continue;
            }
            if !self.validates(candidate, value, kind)? {
                continue;
            }
            match candidate {
                Node::Record(r) => {
                    let dict = value.cast::<PyDict>().map_err(python)?;
                    let mut shared = 0;
                    for field in &self.schema.records[*r].fields {
                        if dict.contains(field.key.bind(self.py)).map_err(python)? {
                            shared += 1;
                        }
                    }
                    if shared > most_fields {
                        best = Some(at);
                        most_fields = shared;
                    }
                }
                Node::Float => {
                    best = Some(at);
                    could_be_float = true;
                }
                _ => {
                    best = Some(at);
                    break;
                }
            }
        }
        best.ok_or_else(|| unexpected(value, "a value of one of the union's types"))
    }

    /// fastavro's validation of ``value`` against ``node`` (after its logical-type conversion),
    /// where it is certain; a failure where the answer would depend on a type not handled here.
    fn validates(&self, node: &Node, value: &Bound<'py, PyAny>, kind: Kind) -> Outcome<bool> {
        use Kind as K;
        let unsure = || Failure::new(format!("a {kind:?} value in a union is not written natively"));
        let plain = |wanted: &[Kind]| -> Outcome<bool> {
            match kind {
                K::Other => Err(unsure()),
                k => Ok(wanted.contains(&k)),
            }
        };
        match node {
            Node::Null => Ok(kind == K::None),
            Node::Boolean => Ok(kind == K::Bool),
            Node::Int | Node::Long => match kind {
                K::Int => {
                    let n: Result<i64, _> = value.extract();
                    Ok(match (n, node) {
                        (Ok(n), Node::Int) => i32::try_from(n).is_ok(),
                        (Ok(_), _) => true,
                        (Err(_), _) => false,
                    })
                }
                K::Date | K::DateTime | K::Other => Err(unsure()),
                _ => Ok(false),
            },
            Node::Date => match kind {
                K::Date | K::DateTime => Ok(true),
                K::Int => Ok(value.extract::<i32>().is_ok()),
                K::Str | K::Other => Err(unsure()),
                _ => Ok(false),
            },
            Node::TimestampMillis => match kind {
                K::DateTime => Ok(true),
                K::Int => Ok(value.extract::<i64>().is_ok()),
                K::Date | K::Other => Err(unsure()),
                _ => Ok(false),
            },
            Node::Float | Node::Double => plain(&[K::Int, K::Float]),
            Node::String => plain(&[K::Str]),
            Node::Uuid => match kind {
                K::Str => Ok(true),
                K::Other => {
                    let class = self.schema.uuid_class.as_ref().expect("uuid class");
                    if value.is_instance(class.bind(self.py)).map_err(python)? {
                        Ok(true)
                    } else {
                        Err(unsure())
                    }
                }
                _ => Ok(false),
            },
            Node::Bytes => plain(&[K::Bytes]),
            Node::Fixed(size) => match kind {
                K::Bytes => Ok(value.cast::<PyBytes>().map_err(python)?.as_bytes().len() == *size),
                K::Other => Err(unsure()),
                _ => Ok(false),
            },
            Node::Enum(at) => match kind {
                K::Str => {
                    let text = value.cast::<PyString>().map_err(python)?.to_str().map_err(python)?;
                    Ok(self.schema.enums[*at].index.contains_key(text))
                }
                K::Other => Err(unsure()),
                _ => Ok(false),
            },
            Node::Array(items) => match kind {
                K::List => {
                    for item in value.cast::<PyList>().map_err(python)?.iter() {
                        let item_kind = kind_of(&item);
                        if !self.validates(items, &item, item_kind)? {
                            return Ok(false);
                        }
                    }
                    Ok(true)
                }
                K::Tuple | K::Bytes | K::Other => Err(unsure()),
                _ => Ok(false),
            },
            Node::Map(values) => match kind {
                K::Dict => {
                    for (key, item) in value.cast::<PyDict>().map_err(python)?.iter() {
                        if !key.is_instance_of::<PyString>() {
                            return Ok(false);
                        }
                        if !self.validates(values, &item, kind_of(&item))? {
                            return Ok(false);
                        }
                    }
                    Ok(true)
                }
                K::Other => Err(unsure()),
                _ => Ok(false),
            },
            Node::Record(at) => match kind {
                K::Dict => {
                    let dict = value.cast::<PyDict>().map_err(python)?;
                    if dict.contains("-type").map_err(python)? {
                        return Err(unsure());
                    }
                    for field in &self.schema.records[*at].fields {
                        let item = match dict.get_item(field.key.bind(self.py)).map_err(python)? {
                            Some(item) => item,
                            None => match &field.default {
                                Some(default) => default.bind(self.py).clone(),
                                None => self.py.None().into_bound(self.py),
                            },
                        };
                        if !self.validates(&field.node, &item, kind_of(&item))? {
                            return Ok(false);
                        }
                    }
                    Ok(true)
                }
                K::Other => Err(unsure()),
                _ => Ok(false),
            },
            Node::Union(branches) => {
                for branch in branches {
                    if self.validates(branch, value, kind)? {
                        return Ok(true);
                    }
                }
                Ok(false)
            }
        }
    }
}

fn integer(value: &Bound<'_, PyAny>) -> Outcome<i64> {
    if value.is_instance_of::<PyBool>() || !value.is_instance_of::<PyInt>() {
        return Err(unexpected(value, "int"));
    }
    value.extract::<i64>().map_err(|_| Failure::new(format!("{value} is out of range for an Avro long")))
}

fn real(value: &Bound<'_, PyAny>) -> Outcome<f64> {
    if value.is_instance_of::<PyFloat>()
        || (value.is_instance_of::<PyInt>() && !value.is_instance_of::<PyBool>())
    {
        return value.extract::<f64>().map_err(python);
    }
    Err(unexpected(value, "float"))
}

fn date_days(value: &Bound<'_, PyAny>) -> Outcome<i64> {
    if let Ok(moment) = value.cast_exact::<PyDateTime>() {
        return Ok(days_from_civil(
            i64::from(moment.get_year()),
            i64::from(moment.get_month()),
            i64::from(moment.get_day()),
        ));
    }
    match value.cast_exact::<PyDate>() {
        Ok(day) => Ok(days_from_civil(
            i64::from(day.get_year()),
            i64::from(day.get_month()),
            i64::from(day.get_day()),
        )),
        Err(_) => Err(unexpected(value, "datetime.date")),
    }
}

/// Milliseconds since the epoch of an aware datetime, rounded down (as ``datetime - epoch``).
fn timestamp_millis(py: Python<'_>, value: &Bound<'_, PyAny>) -> Outcome<i64> {
    let moment = value.cast_exact::<PyDateTime>().map_err(|_| unexpected(value, "datetime.datetime"))?;
    let Some(tz) = moment.get_tzinfo() else {
        return Err(Failure::new(
            "a naive datetime (fastavro reads it as local time) is not written natively",
        ));
    };
    let offset_micros = if tz.is(PyTzInfo::utc(py).map_err(python)?) {
        0
    } else {
        let offset = moment.call_method0("utcoffset").map_err(python)?;
        let delta = offset.cast::<PyDelta>().map_err(|_| unexpected(&offset, "a UTC offset"))?;
        (i64::from(delta.get_days()) * 86_400 + i64::from(delta.get_seconds())) * 1_000_000
            + i64::from(delta.get_microseconds())
    };
    let days = days_from_civil(
        i64::from(moment.get_year()),
        i64::from(moment.get_month()),
        i64::from(moment.get_day()),
    );
    let seconds = days * 86_400
        + i64::from(moment.get_hour()) * 3600
        + i64::from(moment.get_minute()) * 60
        + i64::from(moment.get_second());
    let micros = seconds * 1_000_000 + i64::from(moment.get_microsecond()) - offset_micros;
    Ok(micros.div_euclid(1000))
}
