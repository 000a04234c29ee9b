//! A parsed Avro schema (fastavro's parsed form: full names everywhere) compiled into a tree of
//! [`Node`]s. Named records and enums live in tables and are referred to by index, so a schema
//! that refers to a type again (or to itself) costs nothing more.

use std::collections::HashMap;

use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList, PyString};

/// One Avro type as the encoder and decoder run it.
pub enum Node {
    Null,
    Boolean,
    Int,
    Long,
    Float,
    Double,
    Bytes,
    String,
    /// `int` with logical type `date`: `datetime.date`.
    Date,
    /// `long` with logical type `timestamp-millis`: an aware `datetime.datetime` in UTC.
    TimestampMillis,
    /// `string` with logical type `uuid`: `uuid.UUID` when read.
    Uuid,
    Fixed(usize),
    Enum(usize),
    Array(Box<Node>),
    Map(Box<Node>),
    Union(Vec<Node>),
    Record(usize),
}

/// A record field: its name (and the interned key the decoder writes), type and default.
pub struct Field {
    pub name: String,
    pub key: Py<PyString>,
    pub node: Node,
    /// The schema's default, written (as fastavro does) when the record lacks the field.
    pub default: Option<Py<PyAny>>,
    /// fastavro writes a missing field without a default as None when `"null" in type`.
    pub null_in_type: bool,
}

pub struct Record {
    pub fields: Vec<Field>,
    /// The fewest bytes one value of this record can take (0 when it may take none).
    pub min_size: usize,
}

pub struct Enum {
    pub symbols: Vec<Py<PyString>>,
    pub index: HashMap<String, usize>,
}

/// A compiled schema: the root type and the named types it uses.
pub struct Schema {
    pub root: Node,
    pub records: Vec<Record>,
    pub enums: Vec<Enum>,
    /// `uuid.UUID`, when the schema has a uuid.
    pub uuid_class: Option<Py<PyAny>>,
}

#[derive(Clone, Copy)]
enum Named {
    Record(usize),
    Enum(usize),
    Fixed(usize),
}

pub struct Compiler<'py> {
    py: Python<'py>,
    names: HashMap<String, Named>,
    records: Vec<Option<Record>>,
    enums: Vec<Enum>,
    uuid: bool,
}

pub type CompileResult<T> = Result<T, String>;

impl<'py> Compiler<'py> {
    pub fn new(py: Python<'py>) -> Self {
        Compiler { py, names: HashMap::new(), records: Vec::new(), enums: Vec::new(), uuid: false }
    }

    /// Compile ``schema`` (fastavro-parsed) into a [`Schema`].
    pub fn compile(mut self, schema: &Bound<'py, PyAny>) -> PyResult<Result<Schema, String>> {
        let root = match self.node(schema) {
            Ok(root) => root,
            Err(message) => return Ok(Err(message)),
        };
        let mut records: Vec<Record> =
            self.records.into_iter().map(|r| r.expect("record compiled")).collect();
        for at in 0..records.len() {
            let size = min_size_of_record(&records, at, &mut vec![false; records.len()]);
            records[at].min_size = size;
        }
        let uuid_class =
            if self.uuid { Some(self.py.import("uuid")?.getattr("UUID")?.unbind()) } else { None };
        Ok(Ok(Schema { root, records, enums: self.enums, uuid_class }))
    }

    fn node(&mut self, schema: &Bound<'py, PyAny>) -> CompileResult<Node> {
        if let Ok(name) = schema.cast::<PyString>() {
            let name = name.to_str().map_err(|e| e.to_string())?;
            return self.named_or_primitive(name);
        }
        if let Ok(branches) = schema.cast::<PyList>() {
            let mut nodes = Vec::with_capacity(branches.len());
            for branch in branches.iter() {
                nodes.push(self.node(&branch)?);
            }
            return Ok(Node::Union(nodes));
        }
        let Ok(dict) = schema.cast::<PyDict>() else {
            return Err(format!("not a schema: {schema}"));
        };
        let kind = item(dict, "type")?.ok_or("a schema object without a type")?;
        let Ok(kind_name) = kind.cast::<PyString>() else {
            return self.node(&kind);
        };
        let kind_name = kind_name.to_str().map_err(|e| e.to_string())?.to_owned();
        let logical = match item(dict, "logicalType")? {
            Some(value) => Some(string(&value)?),
            None => None,
        };
        match (kind_name.as_str(), logical.as_deref()) {
            ("int", Some("date")) => Ok(Node::Date),
            ("long", Some("timestamp-millis")) => Ok(Node::TimestampMillis),
            ("string", Some("uuid")) => {
                self.uuid = true;
                Ok(Node::Uuid)
            }
            (_, Some(other)) => Err(format!("logical type {other} on {kind_name} is not supported")),
            ("record" | "error", None) => self.record(dict),
            ("enum", None) => self.enumeration(dict),
            ("fixed", None) => {
                let size = item(dict, "size")?.ok_or("a fixed without a size")?;
                let size: usize = size.extract().map_err(|e: PyErr| e.to_string())?;
                let name = string(&item(dict, "name")?.ok_or("a fixed without a name")?)?;
                self.names.insert(name, Named::Fixed(size));
                Ok(Node::Fixed(size))
            }
            ("array", None) => {
                Ok(Node::Array(Box::new(self.node(&item(dict, "items")?.ok_or("an array without items")?)?)))
            }
            ("map", None) => {
                Ok(Node::Map(Box::new(self.node(&item(dict, "values")?.ok_or("a map without values")?)?)))
            }
            (name, None) => self.named_or_primitive(name),
        }
    }

    fn named_or_primitive(&mut self, name: &str) -> CompileResult<Node> {
        let node = match name {
            "null" => Node::Null,
            "boolean" => Node::Boolean,
            "int" => Node::Int,
            "long" => Node::Long,
            "float" => Node::Float,
            "double" => Node::Double,
            "bytes" => Node::Bytes,
            "string" => Node::String,
            _ => match self.names.get(name) {
                Some(Named::Record(at)) => Node::Record(*at),
                Some(Named::Enum(at)) => Node::Enum(*at),
                Some(Named::Fixed(size)) => Node::Fixed(*size),
                None => return Err(format!("unknown type {name}")),
            },
        };
        Ok(node)
    }

    fn record(&mut self, dict: &Bound<'py, PyDict>) -> CompileResult<Node> {
        let name = string(&item(dict, "name")?.ok_or("a record without a name")?)?;
        let at = self.records.len();
        self.records.push(None);
        self.names.insert(name, Named::Record(at));
        let fields_obj = item(dict, "fields")?.ok_or("a record without fields")?;
        let fields_list = fields_obj.cast::<PyList>().map_err(|_| "fields is not a list".to_owned())?;
        let mut fields = Vec::with_capacity(fields_list.len());
        for field in fields_list.iter() {
            let field = field.cast::<PyDict>().map_err(|_| "a field is not an object".to_owned())?;
            let field_name = string(&item(field, "name")?.ok_or("a field without a name")?)?;
            let field_type = item(field, "type")?.ok_or("a field without a type")?;
            let node = self.node(&field_type)?;
            let null_in_type = field_type.contains("null").unwrap_or(false);
            fields.push(Field {
                key: PyString::intern(self.py, &field_name).unbind(),
                name: field_name,
                node,
                default: item(field, "default")?.map(Bound::unbind),
                null_in_type,
            });
        }
        self.records[at] = Some(Record { fields, min_size: 0 });
        Ok(Node::Record(at))
    }

    fn enumeration(&mut self, dict: &Bound<'py, PyDict>) -> CompileResult<Node> {
        let name = string(&item(dict, "name")?.ok_or("an enum without a name")?)?;
        let symbols_obj = item(dict, "symbols")?.ok_or("an enum without symbols")?;
        let symbols_list = symbols_obj.cast::<PyList>().map_err(|_| "symbols is not a list".to_owned())?;
        let mut symbols = Vec::with_capacity(symbols_list.len());
        let mut index = HashMap::with_capacity(symbols_list.len());
        for (at, symbol) in symbols_list.iter().enumerate() {
            let text = string(&symbol)?;
            index.entry(text.clone()).or_insert(at);
            symbols.push(PyString::intern(self.py, &text).unbind());
        }
        let at = self.enums.len();
        self.enums.push(Enum { symbols, index });
        self.names.insert(name, Named::Enum(at));
        Ok(Node::Enum(at))
    }
}

fn item<'py>(dict: &Bound<'py, PyDict>, key: &str) -> CompileResult<Option<Bound<'py, PyAny>>> {
    dict.get_item(key).map_err(|e| e.to_string())
}

fn string(value: &Bound<'_, PyAny>) -> CompileResult<String> {
    value.extract::<String>().map_err(|_| format!("expected a string, got {value}"))
}

/// The fewest bytes a value of ``node`` takes on the wire.
pub fn min_size(records: &[Record], node: &Node) -> usize {
    match node {
        Node::Null => 0,
        Node::Fixed(size) => *size,
        Node::Float => 4,
        Node::Double => 8,
        Node::Record(at) => records[*at].min_size,
        _ => 1,
    }
}

fn min_size_of_record(records: &[Record], at: usize, visiting: &mut Vec<bool>) -> usize {
    if visiting[at] {
        return 0; // a record inside itself: "may be empty" is the safe answer
    }
    visiting[at] = true;
    let size = records[at]
        .fields
        .iter()
        .map(|f| match &f.node {
            Node::Record(inner) => min_size_of_record(records, *inner, visiting),
            other => min_size(records, other),
        })
        .sum();
    visiting[at] = false;
    size
}
