//! Which shape of provider order a payer gets, from where they pay.
//!
//! WeChat Pay and Alipay each open orders in several shapes, and each shape only
//! works in one place: a WeChat Pay JSAPI order is paid inside WeChat's own
//! browser (it needs the payer's `openid`), a Native order is a QR code to scan
//! from another screen; Alipay's `wap.pay` is its cashier for a phone browser,
//! `page.pay` for a computer, `precreate` a QR code. The owner's device is read
//! from the browser's `User-Agent` (the only thing a page request tells us);
//! a start from the desk or the API has no payer's device and gets a QR code.

/// Where the payer is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Device {
    /// Inside WeChat's own browser (`MicroMessenger` in the user agent).
    WechatApp,
    /// Inside the Alipay app (`AlipayClient`).
    AlipayApp,
    /// Another phone browser.
    Phone,
    /// A computer's browser.
    Computer,
    /// No payer's browser: a start from the desk or the API (a QR code is shown).
    Desk,
}

/// The payer's device from the browser's `User-Agent`; `None` is the desk.
pub fn device_of(user_agent: Option<&str>) -> Device {
    let Some(ua) = user_agent else {
        return Device::Desk;
    };
    if ua.contains("MicroMessenger") {
        Device::WechatApp
    } else if ua.contains("AlipayClient") {
        Device::AlipayApp
    } else if ["Mobile", "Android", "iPhone", "iPad", "HarmonyOS"]
        .iter()
        .any(|m| ua.contains(m))
    {
        Device::Phone
    } else {
        Device::Computer
    }
}

/// The shape of a provider order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OrderShape {
    /// WeChat Pay Native (`/v3/pay/transactions/native`): a QR code's link.
    Native,
    /// WeChat Pay JSAPI (`/v3/pay/transactions/jsapi`): paid in WeChat's browser
    /// through its JS bridge, for the payer's `openid`.
    Jsapi,
    /// Alipay `alipay.trade.precreate`: a QR code's link.
    Precreate,
    /// Alipay `alipay.trade.wap.pay`: the cashier for a phone browser.
    WapPay,
    /// Alipay `alipay.trade.page.pay`: the cashier for a computer's browser.
    PagePay,
}

impl OrderShape {
    /// The shape's code, as recorded and shown (`native`, `jsapi`, `precreate`,
    /// `wap`, `page`).
    pub fn code(self) -> &'static str {
        match self {
            OrderShape::Native => "native",
            OrderShape::Jsapi => "jsapi",
            OrderShape::Precreate => "precreate",
            OrderShape::WapPay => "wap",
            OrderShape::PagePay => "page",
        }
    }
}

/// The order shape for `provider` (`wechat`, `alipay`) when the payer is on
/// `device`; `openid_known` says whether WeChat told us the payer's `openid` (a
/// JSAPI order cannot be opened without it, so the payer gets Native's QR code
/// instead). `None` for a provider without order shapes (the generic sandbox).
pub fn shape(provider: &str, device: Device, openid_known: bool) -> Option<OrderShape> {
    match provider {
        "wechat" => Some(match device {
            Device::WechatApp if openid_known => OrderShape::Jsapi,
            _ => OrderShape::Native,
        }),
        "alipay" => Some(match device {
            Device::Phone | Device::AlipayApp | Device::WechatApp => OrderShape::WapPay,
            Device::Computer => OrderShape::PagePay,
            Device::Desk => OrderShape::Precreate,
        }),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const WECHAT_UA: &str = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148 MicroMessenger/8.0.47(0x18002f2c) NetType/WIFI Language/zh_CN";
    const ANDROID_UA: &str = "Mozilla/5.0 (Linux; Android 14; V2307A) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Mobile Safari/537.36";
    const DESKTOP_UA: &str = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Safari/537.36";

    #[test]
    fn devices_are_read_from_the_user_agent() {
        assert_eq!(device_of(Some(WECHAT_UA)), Device::WechatApp);
        assert_eq!(
            device_of(Some("Mozilla/5.0 (Linux; Android 14) AlipayClient/10.5.0")),
            Device::AlipayApp
        );
        assert_eq!(device_of(Some(ANDROID_UA)), Device::Phone);
        assert_eq!(device_of(Some(DESKTOP_UA)), Device::Computer);
        assert_eq!(device_of(None), Device::Desk);
    }

    #[test]
    fn each_device_gets_the_shape_that_works_there() {
        use OrderShape::*;
        let w = |d, o| shape("wechat", d, o);
        assert_eq!(w(Device::WechatApp, true), Some(Jsapi));
        // Without the payer's openid WeChat cannot open a JSAPI order.
        assert_eq!(w(Device::WechatApp, false), Some(Native));
        assert_eq!(w(Device::Phone, true), Some(Native));
        assert_eq!(w(Device::Desk, false), Some(Native));
        let a = |d| shape("alipay", d, false);
        assert_eq!(a(Device::Phone), Some(WapPay));
        assert_eq!(a(Device::AlipayApp), Some(WapPay));
        assert_eq!(a(Device::Computer), Some(PagePay));
        assert_eq!(a(Device::Desk), Some(Precreate));
        assert_eq!(shape("sandbox", Device::Phone, false), None);
        assert_eq!(PagePay.code(), "page");
    }
}
