"""Dates as the admin shows them (Django's English defaults read "Dec. 2, 2026, 5:25 a.m.",
too wide for a list's column)."""

DATE_FORMAT = "j M Y"
DATETIME_FORMAT = "j M Y H:i"
SHORT_DATE_FORMAT = "Y-m-d"
SHORT_DATETIME_FORMAT = "Y-m-d H:i"
