use super::super::Ctx;
use crate::http::Resp;
pub fn list(ctx: &Ctx) -> Resp { super::super::errors::v1(ctx.state, 501, "not yet") }
pub fn get(ctx: &Ctx, _k: &str) -> Resp { super::super::errors::v1(ctx.state, 501, "not yet") }
pub fn content(ctx: &Ctx, _k: &str) -> Resp { super::super::errors::v1(ctx.state, 501, "not yet") }
