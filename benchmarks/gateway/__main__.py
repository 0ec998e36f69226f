from benchmarks.gateway.bench import main

main()
