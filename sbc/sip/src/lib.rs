//! SIP (being written).
