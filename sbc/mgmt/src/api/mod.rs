//! The handlers, one module per group of resources.

pub mod auth;
pub mod capture;
pub mod cdr_csv;
pub mod cdrs;
pub mod certs;
pub mod config;
pub mod ladder;
pub mod live;
pub mod network;
pub mod registry;
pub mod rules;
pub mod sections;
pub mod update;
