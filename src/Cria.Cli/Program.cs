using Cria.Cli;

return CriaApp.Run(args);
