"""Operations: readiness checks and structured logs for those who run CallMP."""
