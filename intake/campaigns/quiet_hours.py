"""Quiet hours: the local times at night when no campaign message goes out.

Kept in local time (Europe/London by default), so "21:00-08:00" means nine in the evening to eight
in the morning in England, summer and winter alike, whatever zone the server's clock is in.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from intake.config.schema import CampaignSettings


@dataclass(frozen=True)
class QuietHours:
    start: time
    end: time
    zone: ZoneInfo

    @classmethod
    def from_settings(cls, settings: CampaignSettings) -> QuietHours:
        first, last = settings.quiet_hours.split("-")
        return cls(time.fromisoformat(first), time.fromisoformat(last), ZoneInfo(settings.timezone))

    def __str__(self) -> str:
        return f"{self.start:%H:%M} to {self.end:%H:%M}"

    def contains(self, moment: datetime) -> bool:
        local = moment.astimezone(self.zone).time()
        if self.start < self.end:
            return self.start <= local < self.end
        return local >= self.start or local < self.end   # across midnight

    def not_before(self, moment: datetime) -> datetime | None:
        """When quiet hours that include ``moment`` end (UTC); None outside quiet hours."""
        if not self.contains(moment):
            return None
        local = moment.astimezone(self.zone)
        day = local.date()
        if self.start > self.end and local.time() >= self.start:   # the evening: ends tomorrow
            day += timedelta(days=1)
        ends = datetime.combine(day, self.end, tzinfo=self.zone).astimezone(UTC)
        if ends <= moment:
            # The end falls in the hour the clocks go back, and ``moment`` is in its second
            # pass: the end that is still to come is the later one (fold=1).
            ends = datetime.combine(day, self.end, tzinfo=self.zone).replace(fold=1).astimezone(UTC)
        return ends
