//! Maps a core error to a JS `Error` with `code`, `errorCode` and `category` properties.

use napi::bindgen_prelude::JsValue;
use napi::{Env, Status};

use crate::error::Error;

pub fn to_js(env: &Env, e: &Error) -> napi::Error {
    build(env, e).unwrap_or_else(|fallback| fallback)
}

fn build(env: &Env, e: &Error) -> napi::Result<napi::Error> {
    let mut obj = env.create_error(napi::Error::new(Status::GenericFailure, e.to_string()))?;
    obj.set("code", e.code())?;
    obj.set("errorCode", e.number())?;
    obj.set("category", e.category().as_str())?;
    Ok(napi::Error::from(obj.to_unknown()))
}
