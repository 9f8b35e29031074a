//! Status codes and the error type: every failing call becomes an `Error` carrying the
//! library's status and its message from `sp_last_error()`.

use std::ffi::CStr;
use std::fmt;

use sparseprop_sys as sys;

/// A failure status of the C interface (everything except `SP_OK`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Status {
    /// `SP_ERR_ARGUMENT`: NULL where not allowed, index out of range, non-finite number,
    /// inconsistent sizes, invalid connectivity.
    Argument,
    /// `SP_ERR_NOMEM`: an allocation failed.
    NoMem,
    /// `SP_ERR_UNSUPPORTED`: a valid request this model or configuration does not support.
    Unsupported,
    /// `SP_ERR_STATE`: not valid now (backward with no tape, stepping a silent network).
    State,
    /// `SP_ERR_CAPACITY`: a fixed capacity (tape, input queue) would be exceeded.
    Capacity,
    /// `SP_ERR_IO`: a file could not be read or written.
    Io,
    /// `SP_ERR_FORMAT`: bytes are not a valid or compatible saved network.
    Format,
    /// `SP_ERR_NUMERIC`: finite values the engine cannot compute with: a value that arose
    /// non-finite, or a finite argument so large or small that a state could overflow
    /// (`tau(1e300)`, a weight of 1e300: the header's bounds).
    Numeric,
    /// A status this binding does not know (a newer library).
    Unknown(sys::sp_status),
}

impl Status {
    /// The status for a raw code; `None` for `SP_OK`.
    pub fn from_raw(code: sys::sp_status) -> Option<Status> {
        Some(match code {
            sys::SP_OK => return None,
            sys::SP_ERR_ARGUMENT => Status::Argument,
            sys::SP_ERR_NOMEM => Status::NoMem,
            sys::SP_ERR_UNSUPPORTED => Status::Unsupported,
            sys::SP_ERR_STATE => Status::State,
            sys::SP_ERR_CAPACITY => Status::Capacity,
            sys::SP_ERR_IO => Status::Io,
            sys::SP_ERR_FORMAT => Status::Format,
            sys::SP_ERR_NUMERIC => Status::Numeric,
            other => Status::Unknown(other),
        })
    }

    /// The raw code.
    pub fn to_raw(self) -> sys::sp_status {
        match self {
            Status::Argument => sys::SP_ERR_ARGUMENT,
            Status::NoMem => sys::SP_ERR_NOMEM,
            Status::Unsupported => sys::SP_ERR_UNSUPPORTED,
            Status::State => sys::SP_ERR_STATE,
            Status::Capacity => sys::SP_ERR_CAPACITY,
            Status::Io => sys::SP_ERR_IO,
            Status::Format => sys::SP_ERR_FORMAT,
            Status::Numeric => sys::SP_ERR_NUMERIC,
            Status::Unknown(code) => code,
        }
    }

    /// The library's name for the status, e.g. `"SP_ERR_ARGUMENT"` (`sp_status_name`).
    pub fn name(self) -> &'static str {
        // SAFETY: sp_status_name accepts any value and returns a static NUL-terminated string.
        let p = unsafe { sys::sp_status_name(self.to_raw()) };
        if p.is_null() {
            return "SP_UNKNOWN_STATUS";
        }
        unsafe { CStr::from_ptr(p) }.to_str().unwrap_or("SP_UNKNOWN_STATUS")
    }
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A failed call: the library's status and its message naming the offending field and value,
/// in this crate's words: the C functions it tells you to call given as this crate's methods
/// (`Network::record` for `sp_record`, `Network::backward` for `sp_backward`), C fields and
/// constants as this crate's (`v_spike` for `model_params->v_spike`, `Param::Drives` for
/// `SP_PARAM_DRIVES`), the C function's parameters as the method's arguments (`times.len()`
/// for `input_many`'s `n`).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Error {
    pub status: Status,
    pub message: String,
}

impl Error {
    /// An error made on the Rust side (checks the C interface cannot make on a slice length).
    pub(crate) fn new(status: Status, message: impl Into<String>) -> Error {
        Error { status, message: message.into() }
    }

    /// The error for a failed call that returned `code`, with the thread's last message.
    /// Must be called right after the failing call, on the same thread.
    pub(crate) fn last(status: Status) -> Error {
        Error::last_named(status, &[])
    }

    /// `last`, with the call's C parameters named as the method's arguments (`renames`: C
    /// identifier, this crate's words; e.g. `("n", "times.len()")`).
    pub(crate) fn last_named(status: Status, renames: &[(&str, &str)]) -> Error {
        Error { status, message: in_binding_words(last_message(), renames, None) }
    }

    /// `last` for a call given the file `path`: the path the message ends with is kept as it is
    /// also when the library's message buffer cut it short (no closing quote).
    pub(crate) fn last_for_file(status: Status, path: &CStr) -> Error {
        let path = path.to_string_lossy();
        Error { status, message: in_binding_words(last_message(), &[], Some(&path)) }
    }

    pub fn status(&self) -> Status {
        self.status
    }

    pub fn message(&self) -> &str {
        &self.message
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.message.is_empty() {
            write!(f, "{}", self.status)
        } else {
            write!(f, "{}: {}", self.status, self.message)
        }
    }
}

impl std::error::Error for Error {}

/// The result type of this crate.
pub type Result<T> = std::result::Result<T, Error>;

/// The C functions a library message may tell the caller to call, with this crate's names.
const BINDING_NAMES: [(&str, &str); 10] = [
    ("sp_record", "Network::record"),
    ("sp_backward", "Network::backward"),
    ("sp_rewind", "Network::rewind"),
    ("sp_set_params", "Network::set_params"),
    ("sp_set_drive", "Network::set_drive"),
    ("sp_zero_grads", "Network::zero_grads"),
    ("sp_run", "Network::run_until"),
    ("sp_run_until", "Network::run_until_spiked"),
    ("sp_load", "Network::load"),
    ("sp_network_replica", "Network::replica"),
];

/// The thread's last library message. Must be read right after the failing call.
fn last_message() -> String {
    // SAFETY: sp_last_error returns a NUL-terminated string valid until the next library call
    // in this thread; it is copied at once.
    let p = unsafe { sys::sp_last_error() };
    if p.is_null() {
        String::new()
    } else {
        unsafe { CStr::from_ptr(p) }.to_string_lossy().into_owned()
    }
}

/// Phrases of library messages that name C things by more than an identifier.
const BINDING_PHRASES: [(&str, &str); 2] = [
    ("net is a replica", "this network is a replica"),
    ("see sp_model in the header", "see Models in the library's README"),
];

/// `SP_PARAM_INPUT_WEIGHTS` -> `Param::InputWeights`, likewise `SP_MODEL_*` and `SP_FRAME_*`.
fn enum_constant(name: &str) -> Option<String> {
    let (ty, rest) = [("SP_PARAM_", "Param"), ("SP_MODEL_", "Model"), ("SP_FRAME_", "Frame")]
        .iter()
        .find_map(|(prefix, ty)| name.strip_prefix(prefix).map(|rest| (*ty, rest)))?;
    let mut out = format!("{ty}::");
    for word in rest.split('_').filter(|w| !w.is_empty()) {
        let mut chars = word.chars();
        out.extend(chars.next());
        out.extend(chars.flat_map(char::to_lowercase));
    }
    Some(out)
}

/// A library message in this crate's words, identifier by identifier (whole words only): the
/// C functions it names as this crate's methods, `model_params->v_spike` as the field
/// `v_spike` (of [`EifParams`](crate::EifParams) or [`CustomModel`](crate::CustomModel)), and
/// `SP_PARAM_DRIVES` as `Param::Drives` (likewise the models and frames), and the C
/// parameters a call's message names as its method's arguments (`renames`, looked up first). A
/// file path the message ends with (`...: '/the/path'`) is the caller's, kept as it is; given
/// the call's `file`, also a start of it that the library's message buffer cut short.
fn in_binding_words(message: String, renames: &[(&str, &str)], file: Option<&str>) -> String {
    let is_word = |c: char| c.is_ascii_alphanumeric() || c == '_';
    // (A cut inside a multi-byte character reads as U+FFFD at the end.)
    let starts = |f: &str, rest: &str| {
        f.starts_with(rest) || rest.strip_suffix('\u{FFFD}').map_or(false, |r| f.starts_with(r))
    };
    let cut_file = |at: &usize| file.map_or(false, |f| starts(f, &message[at + 3..]));
    let (text, path) = match message.find(": '") {
        Some(at) if message.ends_with('\'') => message.split_at(at),
        _ => match message.match_indices(": '").map(|(at, _)| at).find(cut_file) {
            Some(at) => message.split_at(at),
            None => (message.as_str(), ""),
        },
    };
    let phrased;
    let mut text = text;
    if BINDING_PHRASES.iter().any(|(c, _)| text.contains(c)) {
        phrased = BINDING_PHRASES.iter().fold(text.to_string(), |t, (c, ours)| t.replace(c, ours));
        text = &phrased;
    }
    let mut out = String::with_capacity(message.len());
    let mut rest = text;
    while let Some(start) = rest.find(is_word) {
        out.push_str(&rest[..start]);
        let word_len = rest[start..].find(|c| !is_word(c)).unwrap_or(rest.len() - start);
        let word = &rest[start..start + word_len];
        rest = &rest[start + word_len..];
        if let Some((_, name)) = renames.iter().find(|(c_name, _)| *c_name == word) {
            out.push_str(name);
        } else if word == "model_params" {
            match rest.strip_prefix("->") {
                Some(field) if field.starts_with(is_word) => rest = field, // the field follows
                _ => out.push_str("the model parameters"),
            }
        } else if let Some((_, name)) = BINDING_NAMES.iter().find(|(c_name, _)| *c_name == word) {
            out.push_str(name);
        } else if let Some(name) = enum_constant(word) {
            out.push_str(&name);
        } else {
            out.push_str(word);
        }
    }
    out.push_str(rest);
    out.push_str(path);
    out
}

#[cfg(test)]
mod tests {
    use super::in_binding_words;

    #[test]
    fn library_words_become_the_crates() {
        let cases = [
            ("model_params->v_spike = -1: must be", "v_spike = -1: must be"),
            ("needs model_params with f", "needs the model parameters with f"),
            ("SP_PARAM_DRIVES[2] = nan", "Param::Drives[2] = nan"),
            ("use SP_PARAM_INPUT_WEIGHTS or SP_PARAM_V0", "use Param::InputWeights or Param::V0"),
            ("frame = SP_FRAME_TIME (SP_MODEL_EIF)", "frame = Frame::Time (Model::Eif)"),
            (
                "sp_run_until: x (sp_run runs; sp_load)",
                "Network::run_until_spiked: x \
              (Network::run_until runs; Network::load)",
            ),
            ("call sp_record first, not sp_recording", "call Network::record first, not sp_recording"),
            ("\u{e9}t\u{e9} model_params", "\u{e9}t\u{e9} the model parameters"),
            (
                "cannot open for reading (sp_load): '/d/sp_load/SP_MODEL_X/model_params->a'",
                "cannot open for reading (Network::load): '/d/sp_load/SP_MODEL_X/model_params->a'",
            ),
            ("net is a replica: x", "this network is a replica: x"),
            (
                "(it must be positive: see sp_model in the header)",
                "(it must be positive: see Models in the library's README)",
            ),
            ("", ""),
        ];
        for (c, rust) in cases {
            assert_eq!(in_binding_words(c.to_string(), &[], None), rust);
        }
        // A file path cut short by the library's message buffer (no closing quote): kept when
        // it starts the call's path (an outside review: a long path's sp_record/SP_PARAM_V0
        // directories came back as Network::record/Param::V0).
        let cut = "cannot open for reading (No such file): '/d/sp_record/SP_PARAM_V0/mo";
        let file = "/d/sp_record/SP_PARAM_V0/model_params->v_spike/x.spn";
        assert_eq!(in_binding_words(cut.to_string(), &[], Some(file)), cut);
        // ...also cut inside a multi-byte character (read as U+FFFD).
        let cut_utf8 = "cannot open (x): '/d/sp_record/\u{e9}\u{FFFD}";
        assert_eq!(in_binding_words(cut_utf8.to_string(), &[], Some("/d/sp_record/\u{e9}\u{e9}")), cut_utf8);
        assert_eq!(
            in_binding_words(cut.to_string(), &[], Some("/e/x.spn")),
            "cannot open for reading (No such file): '/d/Network::record/Param::V0/mo"
        );
        // A call's renames: whole words only, before the crate-wide names.
        let renames = [("n", "times.len()"), ("sp_run", "x")];
        assert_eq!(
            in_binding_words("n = 3: room for 2 (n_inputs = 1, sp_run)".to_string(), &renames, None),
            "times.len() = 3: room for 2 (n_inputs = 1, x)"
        );
    }
}

/// `check` for a call given the file `path` (see [`Error::last_for_file`]).
pub(crate) fn check_file(code: sys::sp_status, path: &CStr) -> Result<()> {
    match Status::from_raw(code) {
        None => Ok(()),
        Some(status) => Err(Error::last_for_file(status, path)),
    }
}

/// Turns a raw status into a `Result`, collecting the message on failure.
#[inline]
pub(crate) fn check(code: sys::sp_status) -> Result<()> {
    check_named(code, &[])
}

/// `check`, with the call's C parameters named as the method's arguments (see
/// [`Error::last_named`]).
#[inline]
pub(crate) fn check_named(code: sys::sp_status, renames: &[(&str, &str)]) -> Result<()> {
    match Status::from_raw(code) {
        None => Ok(()),
        Some(status) => Err(Error::last_named(status, renames)),
    }
}

/// A failed call that gives something back with its [`Error`]: the network
/// [`Replicas::new`](crate::Replicas::new) was given (so that it is not lost), or the spikes
/// [`Network::run_until_spiked`](crate::Network::run_until_spiked) processed before it stopped
/// (they stay processed: the network has moved past them).
///
/// `?` turns it into a plain [`Error`] (dropping `value`) in a function that returns
/// [`Result`](crate::Result).
#[derive(Debug)]
pub struct ErrorWith<T> {
    pub error: Error,
    pub value: T,
}

impl<T> ErrorWith<T> {
    pub fn status(&self) -> Status {
        self.error.status
    }

    pub fn message(&self) -> &str {
        &self.error.message
    }

    /// The error and the value.
    pub fn into_parts(self) -> (Error, T) {
        (self.error, self.value)
    }
}

impl<T> From<ErrorWith<T>> for Error {
    fn from(e: ErrorWith<T>) -> Error {
        e.error
    }
}

impl<T> fmt::Display for ErrorWith<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.error.fmt(f)
    }
}

impl<T: fmt::Debug> std::error::Error for ErrorWith<T> {}
