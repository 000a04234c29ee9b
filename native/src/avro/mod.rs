//! The Avro codec: ``compile(parsed_schema) -> Program``, ``encode(program, record, header)``
//! and ``decode(program, data, start)``.

mod calendar;
mod failure;
mod reader;
mod schema;
mod writer;

use pyo3::create_exception;
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::types::PyBytes;

use reader::Decoder;
use schema::{Compiler, Schema};
use writer::Encoder;

create_exception!(_native, SchemaError, PyValueError, "A schema the native codec cannot run.");
create_exception!(_native, EncodeError, PyValueError, "A record the native codec cannot write.");
create_exception!(_native, DecodeError, PyValueError, "A body that is not a value of the schema.");

/// A schema compiled for the native encoder and decoder.
#[pyclass(frozen, module = "schemas._native")]
pub struct Program {
    schema: Schema,
}

#[pymethods]
impl Program {
    fn __repr__(&self) -> String {
        format!("<Program of {} records, {} enums>", self.schema.records.len(), self.schema.enums.len())
    }
}

/// Compile a fastavro-parsed schema; raises SchemaError for what the native codec does not run.
#[pyfunction]
fn compile(schema: &Bound<'_, PyAny>) -> PyResult<Program> {
    match Compiler::new(schema.py()).compile(schema)? {
        Ok(schema) => Ok(Program { schema }),
        Err(message) => Err(SchemaError::new_err(message)),
    }
}

/// ``header`` followed by the Avro binary body of ``record``; raises EncodeError naming the path.
#[pyfunction]
#[pyo3(signature = (program, record, header = b"".as_slice()))]
fn encode<'py>(
    program: &Program,
    record: &Bound<'py, PyAny>,
    header: &[u8],
) -> PyResult<Bound<'py, PyBytes>> {
    let py = record.py();
    let mut encoder = Encoder::new(py, &program.schema, header);
    match encoder.write(&program.schema.root, record) {
        Ok(()) => Ok(PyBytes::new(py, &encoder.out)),
        Err(failure) => Err(EncodeError::new_err(failure.to_string())),
    }
}

/// The value whose body starts at ``start`` of ``data``, and where it ends; raises DecodeError.
#[pyfunction]
#[pyo3(signature = (program, data, start = 0))]
fn decode<'py>(
    program: &Program,
    data: &Bound<'py, PyBytes>,
    start: usize,
) -> PyResult<(Bound<'py, PyAny>, usize)> {
    let py = data.py();
    let bytes = data.as_bytes();
    if start > bytes.len() {
        return Err(DecodeError::new_err(format!("start {start} is past the end ({} bytes)", bytes.len())));
    }
    let mut decoder = Decoder::new(py, &program.schema, bytes, start)?;
    match decoder.read(&program.schema.root) {
        Ok(value) => Ok((value, decoder.at)),
        Err(failure) => Err(DecodeError::new_err(failure.to_string())),
    }
}

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    let py = m.py();
    m.add_class::<Program>()?;
    m.add_function(wrap_pyfunction!(compile, m)?)?;
    m.add_function(wrap_pyfunction!(encode, m)?)?;
    m.add_function(wrap_pyfunction!(decode, m)?)?;
    m.add("SchemaError", py.get_type::<SchemaError>())?;
    m.add("EncodeError", py.get_type::<EncodeError>())?;
    m.add("DecodeError", py.get_type::<DecodeError>())?;
    Ok(())
}
