//! Open-file limit: every anchored stream holds four sockets (RTP and RTCP on each leg),
//! so 20,000 calls need 80,000 descriptors — far above the usual default of 1,024.
//!
//! At start the daemon raises its soft limit to the hard one, and, when it may (root,
//! `CAP_SYS_RESOURCE`), the hard limit too. The appliance's systemd unit sets
//! `LimitNOFILE` as well; this makes `scripts/run` and the lab behave the same.
#![allow(unsafe_code)]

/// Descriptors asked for: enough for [`WANTED`]/4 calls plus signalling.
const WANTED: libc::rlim_t = 1 << 20;

/// Raises `RLIMIT_NOFILE` as far as allowed; returns the new soft limit.
pub fn raise_open_files() -> std::io::Result<u64> {
    let mut lim = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: `lim` is a valid, writable rlimit the kernel fills in.
    if unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut lim) } != 0 {
        return Err(std::io::Error::last_os_error());
    }
    let raised = libc::rlimit {
        rlim_cur: WANTED.max(lim.rlim_cur),
        rlim_max: WANTED.max(lim.rlim_max),
    };
    // SAFETY: `raised` is a valid rlimit read by the kernel. Without the privilege to
    // raise the hard limit this fails with EPERM, and the soft limit is raised to the
    // existing hard one below instead.
    if unsafe { libc::setrlimit(libc::RLIMIT_NOFILE, &raised) } == 0 {
        return Ok(raised.rlim_cur);
    }
    let soft = libc::rlimit {
        rlim_cur: lim.rlim_max,
        rlim_max: lim.rlim_max,
    };
    // SAFETY: as above; raising the soft limit up to the hard one needs no privilege.
    if unsafe { libc::setrlimit(libc::RLIMIT_NOFILE, &soft) } != 0 {
        return Err(std::io::Error::last_os_error());
    }
    Ok(soft.rlim_cur)
}
