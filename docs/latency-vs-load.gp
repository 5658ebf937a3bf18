# Renders docs/latency-vs-load.png from docs/latency-vs-load.csv, which
#   dotnet run -c Release --project tests/ScmiActors.Benchmarks -- load --case sweep
# writes (columns: offered_eps,variant,delivered_eps,p50_us,p99_us,p999_us,max_us; medians of the repetitions).
# Run from anywhere: gnuplot docs/latency-vs-load.gp   (needs gnuplot with the pngcairo terminal, e.g. gnuplot-nox)
dir = system("dirname '".ARG0."'")
csv = dir."/latency-vs-load.csv"
set datafile separator ","
set terminal pngcairo size 1000,620 font "sans,11"
set output dir."/latency-vs-load.png"
set title "Ingest-to-subscriber latency against offered load (1 platform x 1 subscriber; producer posts in ~1 ms bursts)"
set xlabel "offered load (thousand events/s)"
set ylabel "latency (µs, log scale)"
set logscale x 2
set logscale y 10
set grid xtics ytics mytics
set key below
set xtics (25, 50, 100, 200, 400, 800)
sel(v, col) = (strcol(2) eq v) ? column(col) : NaN
plot \
  csv every ::1 using ($1/1000):(sel("scmi", 4))     with linespoints lw 2 pt 7  lc rgb "#1f77b4" title "ScmiActors p50", \
  csv every ::1 using ($1/1000):(sel("scmi", 5))     with linespoints lw 2 pt 5  lc rgb "#1f77b4" dt 2 title "ScmiActors p99", \
  csv every ::1 using ($1/1000):(sel("scmi", 6))     with linespoints lw 1 pt 9  lc rgb "#1f77b4" dt 3 title "ScmiActors p99.9", \
  csv every ::1 using ($1/1000):(sel("channels", 4)) with linespoints lw 2 pt 7  lc rgb "#d62728" title "Channels p50", \
  csv every ::1 using ($1/1000):(sel("channels", 5)) with linespoints lw 2 pt 5  lc rgb "#d62728" dt 2 title "Channels p99", \
  csv every ::1 using ($1/1000):(sel("channels", 6)) with linespoints lw 1 pt 9  lc rgb "#d62728" dt 3 title "Channels p99.9"
