//! Desired state -> ruleset, in two printed forms of one rule language ([`ir`]):
//! nft text (golden files, `nft -c`) and the nftables-crate JSON batch (apply).

pub(crate) mod build;
pub(crate) mod ir;
pub(crate) mod json;
pub(crate) mod text;
mod validate;

use crate::error::FirewallError;
use crate::model::Desired;

/// The nft text of our table for `desired` (what the golden files hold).
pub fn render_text(desired: &Desired) -> Result<String, FirewallError> {
    Ok(text::table(&build::table(desired)?))
}
