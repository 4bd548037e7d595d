//! kv_sender.rs: the pipeline's keyvalue sender, the half of a component
//! link that takes typed keyvalue calls and sends them on as generic
//! messages (docs/links.md).
//!
//! It implements the keyvalue capability's interfaces (docs/capabilities.md)
//! as a link target: each function is an Extism plugin function exported as
//! `INTERFACE#FUNCTION`, so a component linked to it
//! (`links: {wasmhive:keyvalue/atomics: kv-sender}`) calls it through its
//! ordinary keyvalue imports:
//!
//!     wasmhive:keyvalue/atomics#increment         key, delta (8 bytes, i64)
//!     wasmhive:keyvalue/atomics#compare_and_swap  key, old, new
//!     wasmhive:keyvalue/store#get                 key
//!     wasmhive:keyvalue/store#set                 key, value
//!     wasmhive:keyvalue/store#delete              key
//!     wasmhive:keyvalue/store#exists              key
//!     wasmhive:keyvalue/store#list_keys           prefix, cursor
//!
//! The input of a one-parameter function is the parameter's bytes; of any
//! other, a list (u32 count, then per parameter a u32 length and the bytes,
//! little-endian). Each function checks that shape (a bad one is an error),
//! then sends the call with `wasmhive:host/invoke` `call(interface,
//! function, args)`, args always a list, which the host routes to the
//! keyvalue provider of the sender's own grant. The reply comes back as the
//! link's answer: OK outputs the payload and returns 0, NONE returns 1
//! with no error, ERROR sets the message as the error and returns 2.
//!
//! It uses no crates: the imports are declared below with
//! #[link(wasm_import_module)], and bytes move with wasmhive's bulk copies
//! (wasmhive:host/bulk, one host call per copy). Build it with ../build.sh
//! (Debian's rustc 1.63: --target wasm32-wasi --crate-type cdylib).

mod host {
    // The Extism kernel. The Rust names differ from the import names so
    // that none of them ("free", "alloc"...) can meet a libc symbol.
    #[link(wasm_import_module = "extism:host/env")]
    extern "C" {
        #[link_name = "input_length"]
        pub fn input_length() -> u64;
        #[link_name = "alloc"]
        pub fn kernel_alloc(n: u64) -> u64;
        #[link_name = "free"]
        pub fn kernel_free(h: u64);
        #[link_name = "length"]
        pub fn kernel_length(h: u64) -> u64;
        #[link_name = "error_set"]
        pub fn error_set(h: u64);
    }

    // wasmhive's bulk copies between kernel memory and this module's memory
    // (guest pointers as i64).
    #[link(wasm_import_module = "wasmhive:host/bulk")]
    extern "C" {
        /// Copies kernel[h, h+n) to guest memory at ptr.
        #[link_name = "read"]
        pub fn bulk_read(h: u64, ptr: u64, n: u64);
        /// Copies guest memory [ptr, ptr+n) to kernel[h, h+n).
        #[link_name = "write"]
        pub fn bulk_write(h: u64, ptr: u64, n: u64);
        /// Copies min(n, input length) input bytes to ptr; returns the count.
        #[link_name = "input_read"]
        pub fn bulk_input_read(ptr: u64, n: u64) -> u64;
        /// Makes guest memory [ptr, ptr+n) the call's output.
        #[link_name = "output_write"]
        pub fn bulk_output_write(ptr: u64, n: u64);
    }

    // The generic call: routed by the host to a link or a granted provider.
    #[link(wasm_import_module = "wasmhive:host/invoke")]
    extern "C" {
        #[link_name = "call"]
        pub fn invoke_call(interface: u64, function: u64, args: u64) -> u64;
    }
}

// ---- kernel memory -------------------------------------------------------

/// A new kernel block holding b (0, "empty", for no bytes). Traps when the
/// host refuses the allocation.
fn block(b: &[u8]) -> u64 {
    if b.is_empty() {
        return 0;
    }
    unsafe {
        let h = host::kernel_alloc(b.len() as u64);
        if h == 0 {
            std::process::abort();
        }
        host::bulk_write(h, b.as_ptr() as u64, b.len() as u64);
        h
    }
}

fn free(h: u64) {
    if h != 0 {
        unsafe { host::kernel_free(h) }
    }
}

/// The call's input, read into buf after `skip` zero bytes.
fn input(skip: usize) -> Vec<u8> {
    unsafe {
        let n = host::input_length() as usize;
        let mut b = vec![0u8; skip];
        b.reserve_exact(n);
        if n > 0 {
            let got = host::bulk_input_read(b.as_mut_ptr().add(skip) as u64, n as u64) as usize;
            b.set_len(skip + got.min(n));
        }
        b
    }
}

/// Sets msg as the call's error and returns 2.
fn error(msg: &[u8]) -> i32 {
    let msg: &[u8] = if msg.is_empty() { b"kv-sender: the keyvalue provider failed without a message" } else { msg };
    // The block becomes the host's: it reads it after the call.
    unsafe { host::error_set(block(msg)) }
    2
}

// ---- the call --------------------------------------------------------------

/// Reply statuses (docs/capabilities.md).
const STATUS_OK: u8 = 0;
const STATUS_NONE: u8 = 1;
const STATUS_ERROR: u8 = 2;

/// Checks that list is a list of `params` items and returns the items'
/// lengths; Err with the problem otherwise.
fn check_list(list: &[u8], params: usize) -> Result<Vec<usize>, String> {
    fn u32_at(b: &[u8], off: usize) -> Option<usize> {
        let s = b.get(off..off.checked_add(4)?)?;
        Some(u32::from_le_bytes([s[0], s[1], s[2], s[3]]) as usize)
    }
    let count = u32_at(list, 0).ok_or("the parameters are not a list (no count)")?;
    if count != params {
        return Err(format!("takes {} parameters, got {}", params, count));
    }
    let mut lens = Vec::with_capacity(params);
    let mut off = 4usize;
    for i in 0..count {
        let n = u32_at(list, off).ok_or_else(|| format!("parameter {} is cut short", i + 1))?;
        off += 4;
        if n > list.len() - off {
            return Err(format!("parameter {} is cut short", i + 1));
        }
        off += n;
        lens.push(n);
    }
    if off != list.len() {
        return Err(format!("{} bytes follow the parameters", list.len() - off));
    }
    Ok(lens)
}

/// Handles one typed call of function `func` (of `params` parameters) of
/// `iface`: checks the input, sends it as a generic call and answers its
/// reply. `check` looks further at the parameters' lengths.
fn forward(iface: &str, func: &str, params: usize, check: fn(&[usize]) -> Result<(), String>) -> i32 {
    // The args of a generic call are always a list: a one-parameter input
    // is wrapped into one (read after an 8-byte header, filled below); a
    // list input is checked and sent as it is.
    let args = if params == 1 {
        let mut b = input(8);
        let n = (b.len() - 8) as u32;
        b[0..4].copy_from_slice(&1u32.to_le_bytes());
        b[4..8].copy_from_slice(&n.to_le_bytes());
        b
    } else {
        let b = input(0);
        if let Err(msg) = check_list(&b, params).and_then(|lens| check(&lens)) {
            return error(format!("{}#{}: {}", iface, func, msg).as_bytes());
        }
        b
    };

    let hi = block(iface.as_bytes());
    let hf = block(func.as_bytes());
    let ha = block(&args);
    drop(args);
    let r = unsafe { host::invoke_call(hi, hf, ha) };
    free(hi);
    free(hf);
    free(ha);

    let n = if r != 0 { unsafe { host::kernel_length(r) as usize } } else { 0 };
    let mut reply: Vec<u8> = Vec::with_capacity(n);
    if n > 0 {
        unsafe {
            host::bulk_read(r, reply.as_mut_ptr() as u64, n as u64);
            reply.set_len(n);
        }
    }
    free(r);

    match reply.split_first() {
        Some((&STATUS_OK, payload)) => {
            unsafe { host::bulk_output_write(payload.as_ptr() as u64, payload.len() as u64) }
            0
        }
        Some((&STATUS_NONE, _)) => 1,
        Some((&STATUS_ERROR, msg)) => error(msg),
        _ => error(format!("{}#{}: unexpected reply from the host", iface, func).as_bytes()),
    }
}

fn any(_: &[usize]) -> Result<(), String> {
    Ok(())
}

const STORE: &str = "wasmhive:keyvalue/store";
const ATOMICS: &str = "wasmhive:keyvalue/atomics";

// ---- the exports -------------------------------------------------------------

/// increment(key, delta): delta must be exactly 8 bytes.
#[export_name = "wasmhive:keyvalue/atomics#increment"]
pub extern "C" fn increment() -> i32 {
    forward(ATOMICS, "increment", 2, |lens| {
        if lens[1] != 8 {
            return Err(format!("delta must be 8 bytes (an i64), got {}", lens[1]));
        }
        Ok(())
    })
}

/// compare_and_swap(key, old, new).
#[export_name = "wasmhive:keyvalue/atomics#compare_and_swap"]
pub extern "C" fn compare_and_swap() -> i32 {
    forward(ATOMICS, "compare_and_swap", 3, any)
}

/// get(key).
#[export_name = "wasmhive:keyvalue/store#get"]
pub extern "C" fn get() -> i32 {
    forward(STORE, "get", 1, any)
}

/// set(key, value).
#[export_name = "wasmhive:keyvalue/store#set"]
pub extern "C" fn set() -> i32 {
    forward(STORE, "set", 2, any)
}

/// delete(key).
#[export_name = "wasmhive:keyvalue/store#delete"]
pub extern "C" fn delete() -> i32 {
    forward(STORE, "delete", 1, any)
}

/// exists(key).
#[export_name = "wasmhive:keyvalue/store#exists"]
pub extern "C" fn exists() -> i32 {
    forward(STORE, "exists", 1, any)
}

/// list_keys(prefix, cursor).
#[export_name = "wasmhive:keyvalue/store#list_keys"]
pub extern "C" fn list_keys() -> i32 {
    forward(STORE, "list_keys", 2, any)
}

extern "C" {
    // Made by the linker: runs the static constructors (libc's and std's).
    fn __wasm_call_ctors();
}

/// The reactor entry point (as wasi-libc's crt1-reactor for C): the host
/// calls it once after instantiation. Calling __wasm_call_ctors here, once,
/// also stops the linker wrapping every export in constructor and destructor
/// calls, as it does for a module without _initialize (a command).
#[no_mangle]
pub extern "C" fn _initialize() {
    unsafe { __wasm_call_ctors() }
}
