//! Which payment providers this server has: the one place that knows every adapter
//! (the sandbox, WeChat Pay, Alipay), so the adapters and their shared trait in
//! `provider` need not know each other.

use super::alipay::ALIPAY;
use super::provider::{PaymentProvider, SANDBOX, Sandbox};
use super::wechat::WECHAT;
use crate::App;

/// The provider with `code`, if this server has it configured.
pub fn provider(app: &App, code: &str) -> Option<Box<dyn PaymentProvider>> {
    match code {
        SANDBOX => Sandbox::for_app(app).map(|s| Box::new(s) as Box<dyn PaymentProvider>),
        WECHAT => app
            .settings
            .wechat
            .clone()
            .map(|w| Box::new(w) as Box<dyn PaymentProvider>),
        ALIPAY => app
            .settings
            .alipay
            .clone()
            .map(|a| Box::new(a) as Box<dyn PaymentProvider>),
        _ => None,
    }
}
