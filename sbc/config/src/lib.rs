//! Edge SBC configuration (being written).
