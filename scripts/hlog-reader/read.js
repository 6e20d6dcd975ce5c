// read.js FILE: every interval histogram of an HdrHistogram interval log,
// one JSON line each, read by HdrHistogram's JavaScript implementation
// (not the Go library cohort writes with), for cohort's tests.
"use strict";
const fs = require("fs");
const { HistogramLogReader } = require("hdr-histogram-js");

const reader = new HistogramLogReader(fs.readFileSync(process.argv[2], "utf8"));
for (let h = reader.nextIntervalHistogram(); h !== null; h = reader.nextIntervalHistogram()) {
  console.log(JSON.stringify({
    tag: h.tag,
    start_ms: h.startTimeStampMsec,
    end_ms: h.endTimeStampMsec,
    count: h.totalCount,
    max: h.maxValue,
    p50: h.getValueAtPercentile(50),
  }));
}
