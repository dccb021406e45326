import { NoSuchExport } from "av1gym";
console.log(NoSuchExport);
