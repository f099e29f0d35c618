"""The platform's events in words (Vietnamese, English): the regional pages show these, never the codes."""

from __future__ import annotations

EVENT_WORDS: dict[str, tuple[str, str]] = {
    "allocation.completed": ("Đã xếp gian tự động xong", "Automatic allocation completed"),
    "booths.assigned": ("Đã xếp gian", "Booths assigned"),
    "booths.blocked": ("Đã khóa gian", "Booths blocked"),
    "booths.held": ("Gian đang được giữ chỗ", "Booths held"),
    "booths.released": ("Đã trả gian", "Booths released"),
    "booths.unblocked": ("Đã mở khóa gian", "Booths unblocked"),
    "fair.cancelled": ("Hội chợ bị hủy", "Fair cancelled"),
    "fair.closed": ("Hội chợ đã đóng đăng ký", "Fair closed for registration"),
    "fair.published": ("Hội chợ mở nhận đăng ký", "Fair published"),
    "fair.updated": ("Hội chợ được cập nhật", "Fair updated"),
    "floorplan.published": ("Đã công bố sơ đồ gian hàng", "Floor plan published"),
    "invoice.authorised": ("Hóa đơn đã có mã của cơ quan thuế", "Invoice authorised by the tax authority"),
    "invoice.issued": ("Đã lập hóa đơn", "Invoice issued"),
    "invoice.overdue": ("Hóa đơn quá hạn thanh toán", "Invoice overdue"),
    "invoice.paid": ("Hóa đơn đã thanh toán", "Invoice paid"),
    "invoice.voided": ("Hóa đơn đã hủy", "Invoice voided"),
    "payment.received": ("Đã nhận tiền thanh toán", "Payment received"),
    "payment.reversed": ("Đã huỷ một khoản thu", "Payment reversed"),
    "programme.created": ("Đã tạo chương trình chợ phiên", "Market programme created"),
    "registration.approved": ("Hồ sơ được duyệt", "Registration approved"),
    "registration.cancelled": ("Hồ sơ bị hủy", "Registration cancelled"),
    "registration.changes_requested": ("Hồ sơ được yêu cầu bổ sung, sửa đổi", "Changes requested on a registration"),
    "registration.rejected": ("Hồ sơ bị từ chối", "Registration rejected"),
    "registration.submitted": ("Hồ sơ mới nộp", "Registration submitted"),
    "registration.waitlisted": ("Hồ sơ vào danh sách chờ", "Registration waitlisted"),
    "session.cancelled": ("Phiên chợ bị hủy", "Market session cancelled"),
    "session.reported": ("Đã báo cáo kết quả phiên chợ", "Market session reported"),
    "session.rescheduled": ("Phiên chợ đổi lịch", "Market session rescheduled"),
    "session.scheduled": ("Đã lên lịch phiên chợ", "Market session scheduled"),
    "subsidy.committed": ("Đã cam kết kinh phí hỗ trợ", "Subsidy committed"),
    "subsidy.exhausted": ("Chương trình hỗ trợ hết kinh phí", "Subsidy budget exhausted"),
    "subsidy.released": ("Đã hoàn kinh phí hỗ trợ", "Subsidy released"),
    "supplier.enrolled": ("Nhà cung cấp tham gia chợ phiên", "Supplier enrolled"),
}
GROUP_WORDS: dict[str, tuple[str, str]] = {
    "allocation": ("xếp gian tự động", "automatic allocation"), "booths": ("gian hàng", "booths"),
    "fair": ("hội chợ", "fairs"), "floorplan": ("sơ đồ gian hàng", "floor plans"), "invoice": ("hóa đơn", "invoices"),
    "payment": ("thanh toán", "payments"), "programme": ("chương trình chợ phiên", "market programmes"),
    "registration": ("hồ sơ đăng ký", "registrations"), "session": ("phiên chợ", "market sessions"),
    "subsidy": ("kinh phí hỗ trợ", "subsidies"), "supplier": ("nhà cung cấp", "suppliers"),
}


def event_word(code: str, lang: str) -> str:
    """`fair.published` → "Hội chợ mở nhận đăng ký"; `fair.*` → "Mọi tin về hội chợ"; `*` → every event; an
    unknown code stays as it is."""
    index = 1 if lang == "en" else 0
    if code in EVENT_WORDS:
        return EVENT_WORDS[code][index]
    if code == "*":
        return ("Mọi sự kiện", "Every event")[index]
    group = code.removesuffix(".*")
    if code.endswith(".*") and group in GROUP_WORDS:
        return f"{('Mọi tin về', 'All about')[index]} {GROUP_WORDS[group][index]}"
    return code
