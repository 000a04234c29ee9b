//! Pentameter's native core, imported from Python as `schemas._native`.
//!
//! Two pieces, each with a Python reference it must agree with exactly:
//!
//! * [`avro`]: a schema compiled once into a program that encodes a record to the Avro binary
//!   body and decodes one back, with the values fastavro writes and reads (`schemas.wire`);
//! * [`textmatch`]: rule 11's search of a text for the forms of withheld values
//!   (`policies.textmatch`).

use pyo3::prelude::*;

mod avro;
mod textmatch;

#[pymodule]
fn _native(m: &Bound<'_, PyModule>) -> PyResult<()> {
    avro::register(m)?;
    textmatch::register(m)?;
    Ok(())
}
