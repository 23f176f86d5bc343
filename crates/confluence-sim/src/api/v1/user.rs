use super::super::Ctx;
use crate::http::Resp;
pub fn get(ctx: &Ctx) -> Resp { super::super::errors::v1(ctx.state, 501, "not yet") }
pub fn bulk(ctx: &Ctx) -> Resp { super::super::errors::v1(ctx.state, 501, "not yet") }
pub fn current(ctx: &Ctx) -> Resp { super::super::errors::v1(ctx.state, 501, "not yet") }
