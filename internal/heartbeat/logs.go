package heartbeat

// LogMissed is the message of the record written for each heartbeat whose
// deadline passed, with the attributes heartbeat and reason. The program's
// log handler summarises it during a storm (logx.Storm).
const LogMissed = "heartbeat missed"
