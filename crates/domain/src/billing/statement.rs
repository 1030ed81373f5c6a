//! The providers' daily statement files, read into our terms: one line per
//! payment the provider took that day (its reference, our order number, fen).
//!
//! - WeChat Pay's trade bill (`/v3/bill/tradebill`, `bill_type=ALL`): CSV, one
//!   header row of Chinese column names, every value written with a leading
//!   backtick (`` `4200… ``) so spreadsheet programs keep long numbers as text,
//!   amounts in yuan with two decimals, then a summary (`总交易单数,…`) and its
//!   row. Payments are the rows whose 交易状态 is `SUCCESS`; refund rows
//!   (`REFUND`) are not payments.
//! - Alipay's trade bill (`alipay.data.dataservice.bill.downloadurl.query`,
//!   `bill_type=trade`): CSV whose comment lines start with `#`, a header row,
//!   amounts in yuan; payments are the rows whose 业务类型 is `交易`.
//!
//! Columns are found by name, not position, so a column the provider adds does
//! not shift what we read. The writers make the sandboxes' files in the same
//! shapes. A file we cannot read is refused naming the column or row, never
//! half-read.

use super::notice::{alipay_amount, alipay_yuan};
use crate::violation::Violation;

/// A payment in a provider's statement.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatementLine {
    /// The provider's transaction reference.
    pub provider_ref: String,
    /// Our order number (payment reference).
    pub order_no: String,
    /// Amount taken, fen.
    pub amount_fen: i64,
}

/// WeChat Pay's trade bill columns (the ones the file of `bill_type=ALL` has).
pub const WECHAT_COLUMNS: [&str; 27] = [
    "交易时间",
    "公众账号ID",
    "商户号",
    "特约商户号",
    "设备号",
    "微信订单号",
    "商户订单号",
    "用户标识",
    "交易类型",
    "交易状态",
    "付款银行",
    "货币种类",
    "应结订单总金额",
    "代金券金额",
    "微信退款单号",
    "商户退款单号",
    "退款金额",
    "充值券退款金额",
    "退款类型",
    "退款状态",
    "商品名称",
    "商户数据包",
    "手续费",
    "费率",
    "订单金额",
    "申请退款金额",
    "费率备注",
];

/// Alipay's trade bill columns.
pub const ALIPAY_COLUMNS: [&str; 13] = [
    "支付宝交易号",
    "商户订单号",
    "业务类型",
    "商品名称",
    "创建时间",
    "完成时间",
    "门店编号",
    "门店名称",
    "操作员",
    "终端号",
    "对方账户",
    "订单金额（元）",
    "商家实收（元）",
];

fn bad(field: &str, rule: &'static str) -> Violation {
    Violation::new(field.to_string(), rule)
}

/// The index of column `name` in `head`.
fn column(head: &[String], name: &str) -> Result<usize, Violation> {
    head.iter()
        .position(|h| h.trim() == name)
        .ok_or_else(|| bad(name, "statement.column_missing"))
}

/// Splits a CSV line (the providers quote no field: commas never occur in the
/// values they write).
fn cells(line: &str) -> Vec<String> {
    line.split(',')
        .map(|c| c.trim().trim_start_matches('`').to_string())
        .collect()
}

/// Reads WeChat Pay's trade bill.
pub fn read_wechat(text: &str) -> Result<Vec<StatementLine>, Violation> {
    let mut lines = text
        .trim_start_matches('\u{feff}')
        .lines()
        .filter(|l| !l.trim().is_empty());
    let head = cells(lines.next().ok_or_else(|| bad("file", "statement.empty"))?);
    let (tx, no, state, amount) = (
        column(&head, "微信订单号")?,
        column(&head, "商户订单号")?,
        column(&head, "交易状态")?,
        column(&head, "订单金额")?,
    );
    let mut out = Vec::new();
    for (n, line) in lines.enumerate() {
        if line.starts_with("总交易单数") {
            break;
        }
        let c = cells(line);
        let get = |i: usize| {
            c.get(i)
                .map(String::as_str)
                .ok_or_else(|| bad(&format!("row {}", n + 2), "statement.row_short"))
        };
        if get(state)? != "SUCCESS" {
            continue;
        }
        out.push(StatementLine {
            provider_ref: get(tx)?.to_string(),
            order_no: get(no)?.to_string(),
            amount_fen: alipay_amount(get(amount)?)
                .map_err(|_| bad(&format!("row {}", n + 2), "statement.amount"))?,
        });
    }
    Ok(out)
}

/// Reads Alipay's trade bill.
pub fn read_alipay(text: &str) -> Result<Vec<StatementLine>, Violation> {
    let mut lines = text
        .trim_start_matches('\u{feff}')
        .lines()
        .filter(|l| !l.trim().is_empty() && !l.starts_with('#'));
    let head = cells(lines.next().ok_or_else(|| bad("file", "statement.empty"))?);
    let (tx, no, kind, amount) = (
        column(&head, "支付宝交易号")?,
        column(&head, "商户订单号")?,
        column(&head, "业务类型")?,
        column(&head, "订单金额（元）")?,
    );
    let mut out = Vec::new();
    for (n, line) in lines.enumerate() {
        let c = cells(line);
        let get = |i: usize| {
            c.get(i)
                .map(String::as_str)
                .ok_or_else(|| bad(&format!("row {}", n + 2), "statement.row_short"))
        };
        if get(kind)? != "交易" {
            continue;
        }
        out.push(StatementLine {
            provider_ref: get(tx)?.to_string(),
            order_no: get(no)?.to_string(),
            amount_fen: alipay_amount(get(amount)?)
                .map_err(|_| bad(&format!("row {}", n + 2), "statement.amount"))?,
        });
    }
    Ok(out)
}

/// A transaction the sandbox writes into its file: when (`YYYY-MM-DD HH:MM:SS`),
/// references, amount, and whether it is a refund.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileRow {
    /// Local time of the transaction.
    pub at: String,
    /// The provider's reference.
    pub provider_ref: String,
    /// Our order (or refund) number.
    pub order_no: String,
    /// Amount, fen.
    pub amount_fen: i64,
    /// A refund rather than a payment.
    pub refund: bool,
}

/// Writes WeChat Pay's trade bill for `rows` of merchant `mch_id`, app `app_id`.
pub fn write_wechat(app_id: &str, mch_id: &str, rows: &[FileRow]) -> String {
    let mut out = WECHAT_COLUMNS.join(",");
    out.push_str("\r\n");
    let (mut paid, mut refunded) = (0i64, 0i64);
    for r in rows {
        let y = alipay_yuan(r.amount_fen);
        let (state, settled, refund_amount) = if r.refund {
            refunded += r.amount_fen;
            ("REFUND", "0.00".to_string(), y.clone())
        } else {
            paid += r.amount_fen;
            ("SUCCESS", y.clone(), "0.00".to_string())
        };
        let (tx, refund_no) = if r.refund {
            ("", r.provider_ref.as_str())
        } else {
            (r.provider_ref.as_str(), "")
        };
        let cells = [
            r.at.as_str(),
            app_id,
            mch_id,
            "0",
            "",
            tx,
            if r.refund { "" } else { r.order_no.as_str() },
            "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o",
            "NATIVE",
            state,
            "OTHERS",
            "CNY",
            &settled,
            "0.00",
            refund_no,
            if r.refund { r.order_no.as_str() } else { "" },
            &refund_amount,
            "0.00",
            if r.refund { "ORIGINAL" } else { "" },
            if r.refund { "SUCCESS" } else { "" },
            "Service bill",
            "",
            "0.00",
            "0.60%",
            &y,
            &refund_amount,
            "",
        ];
        let line: Vec<String> = cells.iter().map(|c| format!("`{c}")).collect();
        out.push_str(&line.join(","));
        out.push_str("\r\n");
    }
    out.push_str("总交易单数,应结订单总金额,退款总金额,充值券退款总金额,手续费总金额,订单总金额,申请退款总金额\r\n");
    out.push_str(&format!(
        "`{},`{},`{},`0.00,`0.00,`{},`{}\r\n",
        rows.len(),
        alipay_yuan(paid),
        alipay_yuan(refunded),
        alipay_yuan(paid),
        alipay_yuan(refunded),
    ));
    out
}

/// Writes Alipay's trade bill for `rows` of the day `day` (`YYYY-MM-DD`).
pub fn write_alipay(seller_id: &str, day: &str, rows: &[FileRow]) -> String {
    let mut out = format!(
        "#支付宝业务明细查询\r\n#账号：[{seller_id}]\r\n#起始日期：[{day} 00:00:00]   终止日期：[{day} 23:59:59]\r\n#-----------------------------------------业务明细列表----------------------------------------\r\n"
    );
    out.push_str(&ALIPAY_COLUMNS.join(","));
    out.push_str("\r\n");
    for r in rows {
        let y = alipay_yuan(r.amount_fen);
        let cells = [
            r.provider_ref.as_str(),
            r.order_no.as_str(),
            if r.refund { "退款" } else { "交易" },
            "Service bill",
            r.at.as_str(),
            r.at.as_str(),
            "",
            "",
            "",
            "",
            "158****1562",
            &y,
            &y,
        ];
        out.push_str(&cells.join(","));
        out.push_str("\r\n");
    }
    out.push_str(&format!(
        "#-----------------------------------------业务明细列表结束------------------------------------\r\n#交易合计：{}笔\r\n",
        rows.len()
    ));
    out
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn row(r: &str, no: &str, fen: i64, refund: bool) -> FileRow {
        FileRow {
            at: "2026-12-04 10:00:00".into(),
            provider_ref: r.into(),
            order_no: no.into(),
            amount_fen: fen,
            refund,
        }
    }

    #[test]
    fn wechat_bills_read_back_payments_only() {
        let text = write_wechat(
            "wx1",
            "190",
            &[
                row("4200001", "o1", 1050, false),
                row("5000001", "r1", 50, true),
            ],
        );
        assert!(text.contains("`4200001"));
        assert_eq!(
            read_wechat(&text).unwrap(),
            [StatementLine {
                provider_ref: "4200001".into(),
                order_no: "o1".into(),
                amount_fen: 1050
            }]
        );
    }

    #[test]
    fn alipay_bills_read_back_payments_only() {
        let text = write_alipay(
            "2088",
            "2026-12-04",
            &[
                row("2026120422001", "o1", 99, false),
                row("2088x", "r1", 9, true),
            ],
        );
        assert_eq!(
            read_alipay(&text).unwrap(),
            [StatementLine {
                provider_ref: "2026120422001".into(),
                order_no: "o1".into(),
                amount_fen: 99
            }]
        );
    }

    #[test]
    fn unreadable_files_are_refused_naming_what() {
        assert_eq!(read_wechat("").unwrap_err().rule, "statement.empty");
        assert_eq!(
            read_wechat("交易时间,商户号\r\n").unwrap_err().field,
            "微信订单号"
        );
        let head = WECHAT_COLUMNS.join(",");
        let short = format!("{head}\r\n`2026,`wx\r\n");
        assert_eq!(read_wechat(&short).unwrap_err().rule, "statement.row_short");
        let text = write_wechat("wx1", "190", &[row("42", "o1", 1050, false)]);
        let wrong = text.replace("`10.50", "`10.5");
        assert_eq!(read_wechat(&wrong).unwrap_err().rule, "statement.amount");
    }

    proptest! {
        /// Whatever the sandbox writes, the reader gives back its payments.
        #[test]
        fn files_round_trip(rows in proptest::collection::vec((1i64..10_000_000, any::<bool>()), 0..20)) {
            let rows: Vec<FileRow> = rows.iter().enumerate()
                .map(|(i, (fen, refund))| row(&format!("42{i}"), &format!("o{i}"), *fen, *refund))
                .collect();
            let want: Vec<StatementLine> = rows.iter().filter(|r| !r.refund)
                .map(|r| StatementLine { provider_ref: r.provider_ref.clone(), order_no: r.order_no.clone(), amount_fen: r.amount_fen })
                .collect();
            prop_assert_eq!(read_wechat(&write_wechat("wx", "1", &rows)).unwrap(), want.clone());
            prop_assert_eq!(read_alipay(&write_alipay("2088", "2026-12-04", &rows)).unwrap(), want);
        }
    }
}
