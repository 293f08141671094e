#!/usr/bin/env Rscript
# Tables no one tuned for (issue 17): four real public tables from Debian's R data packages, written
# as CSV for bench/studies/recipe.js --csv. Install them with
#   apt-get install r-base-core r-cran-aer r-cran-kernlab r-cran-mlbench
# and run this script from the project root; the CSVs go to bench/results/cache/unseen/ (not
# committed). Each is written as R holds it: factors as their labels, no column dropped or recoded.
#   hmda.csv             AER::HMDA            2,380 x 14, mixed, imbalanced (12% denied); target deny
#   healthinsurance.csv  AER::HealthInsurance 8,802 x 11, mixed (mostly categorical); target insurance
#   spam.csv             kernlab::spam        4,601 x 58, numeric with heavy tails; target type
#   dna.csv              mlbench::DNA         3,186 x 181, wide (180 binary indicators); target Class
suppressMessages({ library(AER); library(kernlab); library(mlbench) })
out <- file.path("bench", "results", "cache", "unseen")
dir.create(out, recursive = TRUE, showWarnings = FALSE)
write <- function(df, name) {
  path <- file.path(out, paste0(name, ".csv"))
  write.csv(df, path, row.names = FALSE)
  cat(sprintf("%s: %d rows, %d columns\n", path, nrow(df), ncol(df)))
}
data(HMDA); write(HMDA, "hmda")
data(HealthInsurance); write(HealthInsurance, "healthinsurance")
data(spam); write(spam, "spam")
data(DNA); write(DNA, "dna")
