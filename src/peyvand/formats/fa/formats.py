"""Persian number formats. Django's own Persian formats leave grouping off, which prints
large Rial amounts as an unreadable run of digits."""

DECIMAL_SEPARATOR = "٫"
THOUSAND_SEPARATOR = "٬"
NUMBER_GROUPING = 3
