//! The network-namespace test lab (being written).
