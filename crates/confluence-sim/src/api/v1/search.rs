use super::super::Ctx;
use crate::http::Resp;
pub fn content_search(ctx: &Ctx) -> Resp { super::super::errors::v1(ctx.state, 501, "not yet") }
pub fn search(ctx: &Ctx) -> Resp { super::super::errors::v1(ctx.state, 501, "not yet") }
pub fn scan(ctx: &Ctx) -> Resp { super::super::errors::v1(ctx.state, 501, "not yet") }
