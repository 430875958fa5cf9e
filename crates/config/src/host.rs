//! Facts about this machine that RocketMQ's defaults depend on: host name (default
//! `brokerName`), local address (default `brokerIP1`/`brokerIP2`), home directory (default
//! store and namesrv paths) and processor count (default thread pool sizes).

use std::ffi::CStr;
use std::net::Ipv4Addr;
use std::sync::OnceLock;

/// The machine's host name, or `None` if it cannot be read.
pub(crate) fn hostname() -> Option<String> {
    static NAME: OnceLock<Option<String>> = OnceLock::new();
    NAME.get_or_init(|| {
        let mut buf = [0u8; 256];
        // SAFETY: the pointer and length describe `buf`, which outlives the call.
        let rc = unsafe { libc::gethostname(buf.as_mut_ptr().cast(), buf.len()) };
        if rc != 0 {
            return None;
        }
        let end = buf.iter().position(|&b| b == 0).unwrap_or(buf.len());
        let name = String::from_utf8_lossy(&buf[..end]).trim().to_owned();
        (!name.is_empty()).then_some(name)
    })
    .clone()
}

/// The address a broker advertises by default, chosen as Java's
/// `NetworkUtil.getLocalAddress` does for IPv4: the first non-loopback address that is not
/// private (10/8, 172.16/12, 192.168/16; we also count link-local 169.254/16 as private),
/// else the last private one, else 127.0.0.1.
pub(crate) fn local_ipv4() -> Ipv4Addr {
    static ADDR: OnceLock<Ipv4Addr> = OnceLock::new();
    *ADDR.get_or_init(|| pick_advertised_ipv4(&interface_ipv4s()))
}

/// The choice behind [`local_ipv4`], over a list of interface addresses in system order.
pub(crate) fn pick_advertised_ipv4(addrs: &[Ipv4Addr]) -> Ipv4Addr {
    let usable: Vec<Ipv4Addr> = addrs
        .iter()
        .copied()
        .filter(|a| !a.is_loopback() && !a.is_unspecified())
        .collect();
    let internal = |a: &Ipv4Addr| a.is_private() || a.is_link_local();
    usable
        .iter()
        .find(|a| !internal(a))
        .or_else(|| usable.last())
        .copied()
        .unwrap_or(Ipv4Addr::LOCALHOST)
}

/// IPv4 addresses of the interfaces that are up, in `getifaddrs` order.
fn interface_ipv4s() -> Vec<Ipv4Addr> {
    let mut out = Vec::new();
    let mut head: *mut libc::ifaddrs = std::ptr::null_mut();
    // SAFETY: getifaddrs writes a list head we free below with freeifaddrs.
    if unsafe { libc::getifaddrs(&mut head) } != 0 {
        return out;
    }
    let mut cur = head;
    while !cur.is_null() {
        // SAFETY: `cur` is a node of the list returned by getifaddrs, not yet freed.
        let ifa = unsafe { &*cur };
        cur = ifa.ifa_next;
        let up = ifa.ifa_flags & (libc::IFF_UP as libc::c_uint) != 0;
        if !up || ifa.ifa_addr.is_null() {
            continue;
        }
        // SAFETY: ifa_addr is non-null and points to a sockaddr owned by the list.
        let family = i32::from(unsafe { (*ifa.ifa_addr).sa_family });
        if family != libc::AF_INET {
            continue;
        }
        // SAFETY: for AF_INET the sockaddr is a sockaddr_in.
        let sin = unsafe { &*ifa.ifa_addr.cast::<libc::sockaddr_in>() };
        out.push(Ipv4Addr::from(u32::from_be(sin.sin_addr.s_addr)));
    }
    // SAFETY: `head` came from a successful getifaddrs and is freed once.
    unsafe { libc::freeifaddrs(head) };
    out
}

/// The user's home directory (Java's `user.home`): `$HOME`, else the passwd entry, else `/`.
pub(crate) fn home_dir() -> String {
    if let Some(home) = std::env::var_os("HOME").filter(|h| !h.is_empty()) {
        return home.to_string_lossy().into_owned();
    }
    passwd_home().unwrap_or_else(|| "/".to_owned())
}

fn passwd_home() -> Option<String> {
    let mut buf = vec![0u8; 4096];
    let mut pwd = std::mem::MaybeUninit::<libc::passwd>::uninit();
    let mut result: *mut libc::passwd = std::ptr::null_mut();
    // SAFETY: all pointers are valid for the call; `buf` outlives the use of `pwd`'s strings.
    let rc = unsafe {
        libc::getpwuid_r(
            libc::getuid(),
            pwd.as_mut_ptr(),
            buf.as_mut_ptr().cast(),
            buf.len(),
            &mut result,
        )
    };
    if rc != 0 || result.is_null() {
        return None;
    }
    // SAFETY: getpwuid_r succeeded, so `pwd` is initialised and pw_dir points into `buf`.
    let dir = unsafe { CStr::from_ptr(pwd.assume_init_ref().pw_dir) };
    Some(dir.to_string_lossy().into_owned()).filter(|d| !d.is_empty())
}

/// Processors available to this process (Java's `availableProcessors`, cgroup-aware).
pub(crate) fn processors() -> i32 {
    std::thread::available_parallelism()
        .map(|n| i32::try_from(n.get()).unwrap_or(i32::MAX))
        .unwrap_or(1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn advertised_address_prefers_public_then_last_private() {
        let lo = Ipv4Addr::LOCALHOST;
        let p1 = Ipv4Addr::new(10, 0, 0, 5);
        let p2 = Ipv4Addr::new(192, 168, 1, 7);
        let public = Ipv4Addr::new(203, 0, 113, 9);
        let link = Ipv4Addr::new(169, 254, 1, 1);
        assert_eq!(pick_advertised_ipv4(&[lo, p1, public, p2]), public);
        assert_eq!(pick_advertised_ipv4(&[lo, p1, p2]), p2);
        assert_eq!(pick_advertised_ipv4(&[p1, link]), link);
        assert_eq!(pick_advertised_ipv4(&[lo]), lo);
        assert_eq!(pick_advertised_ipv4(&[]), lo);
    }

    #[test]
    fn machine_facts_are_sane() {
        let addr = local_ipv4();
        let listed = interface_ipv4s();
        assert!(
            addr == Ipv4Addr::LOCALHOST || listed.contains(&addr),
            "{addr} not in {listed:?}"
        );
        assert!(!addr.is_unspecified());
        assert!(processors() >= 1);
        assert!(!home_dir().is_empty());
        if let Some(name) = hostname() {
            assert!(!name.contains('\0') && !name.is_empty());
        }
    }
}
