// The npm package sms-segments-calculator (Twilio's segment calculator) as a peer for
// test_segments_crosscheck.py: reads a JSON array of texts on stdin, prints a JSON array of
// {encoding: "gsm7"|"ucs2", segments: N}, one per text. argv[2] === "smart" turns on its smart
// encoding (its own typographic replacements).
const { SegmentedMessage } = require("sms-segments-calculator");

let input = "";
process.stdin.setEncoding("utf8");
process.stdin.on("data", (chunk) => { input += chunk; });
process.stdin.on("end", () => {
  const smart = process.argv[2] === "smart";
  const out = JSON.parse(input).map((text) => {
    const m = new SegmentedMessage(text, "auto", smart);
    return { encoding: m.encodingName === "GSM-7" ? "gsm7" : "ucs2", segments: m.segmentsCount };
  });
  process.stdout.write(JSON.stringify(out));
});
