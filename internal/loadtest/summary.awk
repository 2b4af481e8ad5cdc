# summary.awk prints the median of each figure over the repeated runs in
# bench.sh's results file: one line per run name (the words before the
# first key=value pair that varies between runs).
#   awk -f summary.awk /tmp/atl-bench/results.txt
function median(list,   n, a, i, j, t) {
	n = split(list, a, " ")
	for (i = 2; i <= n; i++) for (j = i; j > 1 && a[j-1] + 0 > a[j] + 0; j--) { t = a[j]; a[j] = a[j-1]; a[j-1] = t }
	return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
}
/^#/ { next }
{
	key = ""
	for (i = 1; i <= NF; i++) {
		if ($i ~ /^(reqs|secs|rps|p50_ms|p90_ms|p99_ms|max_ms|errors|non2xx|bytes|atlante_cpu_ms_per_req|pg_cpu_ms_per_req|peak_rss_mb|ok|civici_s|coverage_s|make_run_to_map_s|max_bytes|over_500KB|non200|ratio|prebuild_ms|render_s|rss_without_kb|rss_with_kb|comuni|civici|offers|db_mb|civici_mb|offers_mb|summaries_mb|import_[a-z]+_s|import_[a-z]+_rss_mb|update_1pct_s|update_1pct_rss_mb|reader_max_s|reader_non200|readers)=/) {
			split($i, kv, "=")
			vals[$0 SUBSEP kv[1]] = kv[2]
			k[kv[1]] = 1
		} else key = key (key == "" ? "" : " ") $i
	}
	if (!(key in seen)) { seen[key] = 1; order[++nkeys] = key }
	runs[key]++
	for (f in k) if (($0 SUBSEP f) in vals) acc[key, f] = acc[key, f] " " vals[$0 SUBSEP f]
	delete k
}
END {
	split("rps p50_ms p99_ms max_ms atlante_cpu_ms_per_req pg_cpu_ms_per_req peak_rss_mb errors non2xx ok civici_s coverage_s make_run_to_map_s max_bytes over_500KB non200 ratio prebuild_ms render_s rss_without_kb rss_with_kb comuni civici offers db_mb civici_mb offers_mb summaries_mb import_comuni_s import_comuni_rss_mb import_civici_s import_civici_rss_mb import_coverage_s import_coverage_rss_mb update_1pct_s update_1pct_rss_mb reader_max_s reader_non200 readers", fields, " ")
	for (i = 1; i <= nkeys; i++) {
		key = order[i]; line = key " runs=" runs[key]
		for (j = 1; j in fields; j++) if ((key, fields[j]) in acc) line = line " " fields[j] "=" median(acc[key, fields[j]])
		print line
	}
}
